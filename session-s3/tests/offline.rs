//! Tests that need no S3 server: a tiny fake server on loopback plays a server that ignores conditional
//! headers, answers with canned S3 errors, or never answers, so the conditional-write check, the error
//! mapping of real SDK errors and the timeouts are tested end to end. Also: an unreachable endpoint, and
//! `Debug` hiding the secret key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use session_core::{Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, Slot, StorageError};
use session_core::{FencedWrite, FencingToken, HolderId, LeaseRequest, LeaseStorage};
use session_core::{Version, VersionedStorage};
use session_s3::aws_sdk_s3::error::SdkError;
use session_s3::aws_sdk_s3::operation::put_object::PutObjectError;
use session_s3::{S3Config, S3Storage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "SECRET-ACCESS-KEY-never-printed";

/// One parsed HTTP request.
struct Request {
    method: String,
    /// The path without the query.
    path: String,
    body: Vec<u8>,
}

/// One HTTP response.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// An S3 error answer with `code`.
    fn error(status: u16, code: &str) -> Reply {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>fake {code}</Message>\
             <RequestId>fake</RequestId></Error>"
        );
        Reply {
            status,
            headers: vec![("content-type", "application/xml".to_owned())],
            body: body.into_bytes(),
        }
    }
}

/// How the fake server answers a request; `None`: never answer.
type Handler = Arc<dyn Fn(Request) -> Option<Reply> + Send + Sync>;

/// Starts a fake HTTP/1.1 server on loopback that answers with `handler`; it lives as long as the runtime.
async fn serve(handler: Handler) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, Arc::clone(&handler)));
        }
    });
    addr
}

/// Serves the requests of one keep-alive connection.
async fn connection(mut stream: TcpStream, handler: Handler) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if !read_more(&mut stream, &mut buf).await {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.lines();
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default().to_owned();
        let headers: HashMap<String, String> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        if headers
            .get("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            if !read_more(&mut stream, &mut buf).await {
                return;
            }
        }
        let body = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        let Some(reply) = handler(Request { method, path, body }) else {
            std::future::pending::<()>().await;
            return;
        };
        let mut out = format!(
            "HTTP/1.1 {} Fake\r\ncontent-length: {}\r\nx-amz-request-id: fake\r\n",
            reply.status,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&reply.body);
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// Reads more bytes into `buf`; false when the connection is closed.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0_u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// A server that stores objects in memory and ignores `If-Match` / `If-None-Match`, like the servers the
/// conditional-write check must catch.
fn ignoring_server() -> Handler {
    let objects: Mutex<HashMap<String, (Vec<u8>, String)>> = Mutex::new(HashMap::new());
    let writes = Mutex::new(0_u64);
    Arc::new(move |request: Request| {
        let mut objects = objects.lock().unwrap();
        Some(match request.method.as_str() {
            "PUT" => {
                let mut writes = writes.lock().unwrap();
                *writes += 1;
                let etag = format!("\"etag-{writes}\"");
                objects.insert(request.path, (request.body, etag.clone()));
                let mut reply = Reply::new(200);
                reply.headers.push(("etag", etag));
                reply
            }
            "GET" => match objects.get(&request.path) {
                Some((body, etag)) => Reply {
                    status: 200,
                    headers: vec![("etag", etag.clone())],
                    body: body.clone(),
                },
                None => Reply::error(404, "NoSuchKey"),
            },
            "DELETE" => {
                objects.remove(&request.path);
                Reply::new(204)
            }
            _ => Reply::error(405, "MethodNotAllowed"),
        })
    })
}

/// A configuration for `bucket` on the fake server at `addr`.
fn config(addr: SocketAddr) -> S3Config {
    S3Config::new("fake-bucket")
        .endpoint(format!("http://{addr}"))
        .region("us-east-1")
        .credentials("AKIDFAKE", SECRET)
}

fn storage(config: &S3Config) -> S3Storage {
    S3Storage::from_config(config, Slot::new("main").unwrap()).unwrap()
}

/// Fails unless `result` is an error of `kind` whose message and source chain never show the secret key.
fn expect_kind<T: std::fmt::Debug>(
    result: Result<T, StorageError>,
    kind: ErrorKind,
    call: &str,
) -> String {
    let err = result.unwrap_err();
    assert_eq!(err.kind(), kind, "{call}: {err}");
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(
        !shown.contains(SECRET),
        "{call}: the secret key leaked: {shown}"
    );
    err.to_string()
}

#[tokio::test]
async fn a_server_that_ignores_conditional_headers_gets_no_versioned_calls() {
    let addr = serve(ignoring_server()).await;
    let storage = storage(&config(addr));
    storage.store(Bytes::from_static(b"plain")).await.unwrap();
    assert_eq!(storage.load().await.unwrap().unwrap(), "plain");

    let message = expect_kind(
        storage.check_conditional_writes().await,
        ErrorKind::Unsupported,
        "check",
    );
    assert!(message.contains("ignores conditional writes"), "{message}");
    assert!(message.contains("lose updates"), "{message}");
    expect_kind(
        storage.load_versioned().await,
        ErrorKind::Unsupported,
        "load_versioned",
    );
    let other = storage.for_slot(Slot::new("other").unwrap());
    for expect in [
        Expect::Absent,
        Expect::Version(Version::from_bytes("\"etag-1\"")),
    ] {
        let written = other.store_if(Bytes::from_static(b"lost"), expect).await;
        expect_kind(written, ErrorKind::Unsupported, "store_if");
    }
    assert_eq!(other.load().await.unwrap(), None, "store_if wrote nothing");
    let request = LeaseRequest::new(HolderId::new("worker").unwrap());
    expect_kind(
        other.acquire_lease(&request).await,
        ErrorKind::Unsupported,
        "acquire_lease",
    );
    let token = FencingToken::FIRST;
    let fenced = other
        .write_fenced(token, FencedWrite::Store(Bytes::from_static(b"lost")))
        .await;
    expect_kind(fenced, ErrorKind::Unsupported, "write_fenced");
    expect_kind(
        other.break_lease().await,
        ErrorKind::Unsupported,
        "break_lease",
    );
    assert_eq!(
        other.load().await.unwrap(),
        None,
        "the lease calls wrote nothing"
    );
    assert_eq!(
        storage.load().await.unwrap().unwrap(),
        "plain",
        "plain writes still work"
    );
    storage.delete().await.unwrap();
    assert_eq!(storage.load().await.unwrap(), None);
}

#[tokio::test]
async fn s3_error_answers_are_mapped() {
    let cases = [
        (403, "AccessDenied", ErrorKind::PermissionDenied),
        (403, "InvalidAccessKeyId", ErrorKind::PermissionDenied),
        (403, "SignatureDoesNotMatch", ErrorKind::PermissionDenied),
        (404, "NoSuchBucket", ErrorKind::Config),
        (400, "EntityTooLarge", ErrorKind::TooLarge),
        (412, "PreconditionFailed", ErrorKind::Conflict),
        (503, "SlowDown", ErrorKind::Unavailable),
        (500, "InternalError", ErrorKind::Unavailable),
        (507, "XMinioStorageFull", ErrorKind::StorageFull),
    ];
    for (status, code, kind) in cases {
        let addr = serve(Arc::new(move |_| Some(Reply::error(status, code)))).await;
        let storage = storage(&config(addr));
        let result = storage.store(Bytes::from_static(b"x")).await;
        let source = result.as_ref().err().and_then(std::error::Error::source);
        let sdk_error = source.and_then(|s| s.downcast_ref::<SdkError<PutObjectError>>());
        assert!(
            sdk_error.is_some(),
            "the SDK error is the source: {source:?}"
        );
        let message = expect_kind(result, kind, &format!("store answered {status} {code}"));
        assert!(message.contains("\"fake-bucket\""), "{message}");
        assert!(
            message.contains(code),
            "the server's code is shown: {message}"
        );
        expect_kind(storage.delete().await, kind, code);
        if code != "NoSuchBucket" {
            continue;
        }
        assert!(message.contains("never creates buckets"), "{message}");
        expect_kind(storage.load().await, kind, code);
    }
}

#[tokio::test]
async fn answers_to_conditional_writes_are_conflicts() {
    for (status, code) in [
        (412, "PreconditionFailed"),
        (409, "ConditionalRequestConflict"),
        (404, "NoSuchKey"),
    ] {
        // The conditional-write check passes (its first write succeeds, the two that must fail get 412),
        // then the slot's conditional write gets the answer under test.
        let probe_writes = Mutex::new(0_u32);
        let handler: Handler = Arc::new(move |request: Request| {
            let probe = request.path.contains("probe");
            Some(match (request.method.as_str(), probe) {
                ("DELETE", _) => Reply::new(204),
                ("PUT", true) => {
                    let mut writes = probe_writes.lock().unwrap();
                    *writes += 1;
                    match *writes {
                        1 => Reply::new(200),
                        _ => Reply::error(412, "PreconditionFailed"),
                    }
                }
                _ => Reply::error(status, code),
            })
        });
        let addr = serve(handler).await;
        let storage = storage(&config(addr));
        let result = storage
            .store_if(Bytes::new(), Expect::Version(Version::from_bytes("\"x\"")))
            .await;
        let message = match result {
            Err(err) if err.kind() == ErrorKind::Conflict => err.to_string(),
            other => panic!("{status} {code}: expected a conflict, got {other:?}"),
        };
        assert!(message.contains(code), "{message}");
    }
}

#[tokio::test]
async fn a_silent_server_times_out_promptly() {
    let addr = serve(Arc::new(|_| None)).await;
    let limit = Duration::from_millis(300);
    let storage = storage(&config(addr).operation_timeout(Duration::from_secs(60)))
        .with_operation_timeout(limit);
    let started = Instant::now();
    let load = expect_kind(storage.load().await, ErrorKind::Timeout, "load");
    assert!(!load.contains("may or may not have been applied"), "{load}");
    let store = expect_kind(
        storage.store(Bytes::from_static(b"x")).await,
        ErrorKind::Timeout,
        "store",
    );
    // The request may have reached the server: a write that timed out has an unknown outcome.
    assert!(
        store.contains("may or may not have been applied"),
        "{store}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    // The client's own operation timeout bounds a call too.
    let bounded_by_client = self::storage(&config(addr).operation_timeout(limit))
        .with_operation_timeout(Duration::from_secs(60));
    let started = Instant::now();
    expect_kind(
        bounded_by_client.delete().await,
        ErrorKind::Timeout,
        "delete",
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_promptly() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let storage = storage(&config(addr));
    let started = Instant::now();
    let message = expect_kind(storage.load().await, ErrorKind::Unavailable, "load");
    assert!(message.contains("could not be reached"), "{message}");
    expect_kind(
        storage.store(Bytes::new()).await,
        ErrorKind::Unavailable,
        "store",
    );
    expect_kind(storage.delete().await, ErrorKind::Unavailable, "delete");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn debug_hides_the_secret_key() {
    let config = S3Config::new("b")
        .endpoint("http://127.0.0.1:1")
        .credentials("AKIDVISIBLE", SECRET)
        .session_token("SESSION-TOKEN-never-printed");
    let storage = storage(&config);
    for shown in [format!("{config:?}"), format!("{storage:?}")] {
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("SESSION-TOKEN"), "{shown}");
    }
    assert_eq!(
        format!("{storage:?}"),
        "S3Storage { bucket: \"b\", prefix: \"tgsession/\", slot: \"main\", operation_timeout: 30s }"
    );
    assert!(format!("{config:?}").contains("secret_access_key: Some(***)"));
}
