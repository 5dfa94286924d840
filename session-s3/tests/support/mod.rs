//! Setup shared by the server tests: the S3 settings from the environment and a fresh bucket per test.

use session_conformance::services::setting;
use session_s3::aws_sdk_s3::Client;
use session_s3::S3Config;

/// A random lower-case name starting with `what`, valid as a bucket name or a key prefix.
pub(crate) fn random_name(what: &str) -> String {
    format!("{what}-{:016x}", fastrand::u64(..))
}

/// A configuration for `bucket` on the test server (`TGSESSION_S3_ENDPOINT` and the `AWS_*` test
/// credentials); fails the test with instructions when they are not set.
pub(crate) fn config(bucket: &str) -> S3Config {
    S3Config::new(bucket)
        .endpoint(setting("TGSESSION_S3_ENDPOINT"))
        .credentials(
            setting("AWS_ACCESS_KEY_ID"),
            setting("AWS_SECRET_ACCESS_KEY"),
        )
}

/// Creates a bucket with a random name with the raw client (the adapter never creates buckets) and returns
/// its configuration and that client.
pub(crate) async fn fresh_bucket() -> (S3Config, Client) {
    let config = config(&random_name("tgsession-test"));
    let client = config.build_client().expect("a client for the test server");
    create_bucket(&client, config.bucket()).await;
    (config, client)
}

/// Creates `bucket` with the raw client.
pub(crate) async fn create_bucket(client: &Client, bucket: &str) {
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|err| panic!("cannot create bucket {bucket}: {err:?}"));
}
