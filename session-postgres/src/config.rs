//! Building a pool and handles from a URL or connection options: the common case.

use std::fmt;
use std::time::Duration;

use session_core::{ErrorKind, Slot, StorageError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::{map_sqlx_error, Doing, BACKEND};
use crate::storage::PostgresStorage;
use crate::table::TableName;

/// How long a pool built by [`PostgresConfig`] waits for a connection (opening one included) by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one storage call (waiting for a connection included) may take by default.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// How many connections a pool built by [`PostgresConfig`] opens at most by default.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// Everything needed to build a [`PgPool`] and [`PostgresStorage`] handles for the common case: the server
/// (a URL or [`PgConnectOptions`]), the table, the timeouts and the pool size.
///
/// | setting                                    | default                                          |
/// |--------------------------------------------|--------------------------------------------------|
/// | [`table`](Self::table)                     | `"tgsession"."sessions"` ([`TableName::default`]) |
/// | [`connect_timeout`](Self::connect_timeout) | [`DEFAULT_CONNECT_TIMEOUT`] (5 s)                |
/// | [`operation_timeout`](Self::operation_timeout) | [`DEFAULT_OPERATION_TIMEOUT`] (15 s)         |
/// | [`max_connections`](Self::max_connections) | [`DEFAULT_MAX_CONNECTIONS`] (10)                 |
/// | [`server_statement_timeout`](Self::server_statement_timeout) | on: `statement_timeout` = operation timeout |
///
/// # Why the server gets a statement timeout too
///
/// When a call hits the operation timeout, the client stops waiting, but a statement the server already
/// received keeps running: a write blocked on a row lock would still be applied once the lock is free,
/// possibly after a later write of the same slot, which it would then overwrite. Pools built here
/// therefore set PostgreSQL's `statement_timeout` to the operation timeout on every connection (a startup
/// option), so the server aborts such a statement itself shortly after the client gave up. A
/// `statement_timeout` given in the URL's `options` is kept. Connection poolers that reject startup
/// options (PgBouncer without `ignore_startup_parameters = options`) need
/// [`server_statement_timeout(false)`](Self::server_statement_timeout); set `statement_timeout` for the
/// role or database there instead. Bring-your-own pools should set it the same way.
///
/// Its `Debug` shows the user, host, port and database, never the password.
///
/// ```
/// use std::time::Duration;
/// use session_postgres::{PostgresConfig, TableName};
///
/// let config = PostgresConfig::from_url("postgres://bot:secret@db.internal:5432/app")?
///     .table(TableName::new("telegram", "sessions")?)
///     .connect_timeout(Duration::from_secs(2))
///     .operation_timeout(Duration::from_secs(5));
/// let shown = format!("{config:?}");
/// assert!(shown.contains("bot@db.internal:5432/app"));
/// assert!(!shown.contains("secret"));
/// # Ok::<(), session_core::StorageError>(())
/// ```
#[derive(Clone)]
pub struct PostgresConfig {
    connect: PgConnectOptions,
    table: TableName,
    connect_timeout: Duration,
    operation_timeout: Duration,
    max_connections: u32,
    server_statement_timeout: bool,
}

impl PostgresConfig {
    /// Settings for the server at `url` (`postgres://user:password@host:port/database?sslmode=...`, as
    /// [`PgConnectOptions`] reads it), with the defaults for everything else.
    ///
    /// Parsing opens no connection. Like libpq, sqlx fills what the URL leaves out from the `PG*`
    /// environment variables and `~/.pgpass`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] if the URL cannot be parsed; the message does not repeat the URL (it may hold a
    /// password).
    pub fn from_url(url: &str) -> Result<PostgresConfig, StorageError> {
        let table = TableName::default();
        let connect = url.parse::<PgConnectOptions>().map_err(|err| {
            let doing = Doing {
                op: "read the connection URL for",
                slot: None,
                table: &table,
            };
            map_sqlx_error(err, doing)
        })?;
        Ok(PostgresConfig::from_options(connect))
    }

    /// Settings for the server described by `connect`, with the defaults for everything else.
    pub fn from_options(connect: PgConnectOptions) -> PostgresConfig {
        PostgresConfig {
            connect,
            table: TableName::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            server_statement_timeout: true,
        }
    }

    /// Uses `table` instead of `"tgsession"."sessions"`.
    #[must_use]
    pub fn table(mut self, table: TableName) -> PostgresConfig {
        self.table = table;
        self
    }

    /// How long the pool waits for a connection, opening a new one included (the pool's
    /// [`acquire_timeout`](PgPoolOptions::acquire_timeout)). While the server is unreachable, every call
    /// fails after about this long with [`ErrorKind::Timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> PostgresConfig {
        self.connect_timeout = timeout;
        self
    }

    /// How long one storage call may take in all; see
    /// [`PostgresStorage::with_operation_timeout`]. It **should** be longer than the connect timeout.
    /// Unless [`server_statement_timeout(false)`](Self::server_statement_timeout) is set, it is also the
    /// server's `statement_timeout` on the pool's connections.
    #[must_use]
    pub fn operation_timeout(mut self, timeout: Duration) -> PostgresConfig {
        self.operation_timeout = timeout;
        self
    }

    /// The most connections the pool opens at once.
    #[must_use]
    pub fn max_connections(mut self, max: u32) -> PostgresConfig {
        self.max_connections = max;
        self
    }

    /// Whether the pool's connections ask the server for `statement_timeout` = the operation timeout (the
    /// default; see [above](Self#why-the-server-gets-a-statement-timeout-too)). Turn it off for a
    /// connection pooler that rejects startup options.
    #[must_use]
    pub fn server_statement_timeout(mut self, enabled: bool) -> PostgresConfig {
        self.server_statement_timeout = enabled;
        self
    }

    /// The connection options (they include the password: do not print them).
    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.connect
    }

    /// The configured table.
    pub fn table_name(&self) -> &TableName {
        &self.table
    }

    /// A new pool for these settings. It connects lazily: no connection is opened until the first call,
    /// so this succeeds while the server is down.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when called outside a Tokio runtime: the pool starts its maintenance task
    /// on the current runtime.
    pub fn pool(&self) -> Result<PgPool, StorageError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StorageError::new(
                ErrorKind::Config,
                BACKEND,
                "a PostgreSQL pool must be built inside a Tokio runtime",
            ));
        }
        Ok(PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.connect_timeout)
            .connect_lazy_with(self.connection_options()))
    }

    /// The options of the pool's connections: the configured ones plus `statement_timeout`, unless the
    /// user set it or turned it off.
    fn connection_options(&self) -> PgConnectOptions {
        let user_set = self
            .connect
            .get_options()
            .is_some_and(|options| options.contains("statement_timeout"));
        if !self.server_statement_timeout || user_set {
            return self.connect.clone();
        }
        let millis = self.operation_timeout.as_millis().max(1);
        self.connect
            .clone()
            .options([("statement_timeout", format!("{millis}ms"))])
    }

    /// A handle on `slot` with a new [`pool`](Self::pool). Build one handle this way and derive the
    /// handles of other slots with [`PostgresStorage::for_slot`], so they share the pool.
    ///
    /// # Errors
    ///
    /// As [`pool`](Self::pool).
    pub fn open(&self, slot: Slot) -> Result<PostgresStorage, StorageError> {
        Ok(PostgresStorage::new(self.pool()?, slot)
            .with_table(self.table.clone())
            .with_operation_timeout(self.operation_timeout))
    }
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("server", &format_args!("{}", Server(&self.connect)))
            .field("table", &self.table)
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("max_connections", &self.max_connections)
            .field("server_statement_timeout", &self.server_statement_timeout)
            .finish()
    }
}

/// Shows where connection options lead, `user@host:port/database` (or the Unix socket), without the
/// password.
pub(crate) struct Server<'a>(pub(crate) &'a PgConnectOptions);

impl fmt::Display for Server<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options = self.0;
        write!(f, "{}@", options.get_username())?;
        match options.get_socket() {
            Some(socket) => write!(f, "{}", socket.display())?,
            None => write!(f, "{}:{}", options.get_host(), options.get_port())?,
        }
        if let Some(database) = options.get_database() {
            write!(f, "/{database}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_a_config_error_without_the_url() {
        let err = PostgresConfig::from_url("postgres://user:hunter2@host:notaport/db").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }

    #[test]
    fn debug_hides_the_password() {
        let config = PostgresConfig::from_url("postgres://user:hunter2@host:5433/db").unwrap();
        let shown = format!("{config:?}");
        assert!(shown.contains("user@host:5433/db"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn the_server_statement_timeout_follows_the_operation_timeout() {
        let config = PostgresConfig::from_url("postgres://u@h/db")
            .unwrap()
            .operation_timeout(Duration::from_millis(1500));
        let options = config.connection_options();
        assert_eq!(options.get_options(), Some("-c statement_timeout=1500ms"));
        let off = config.clone().server_statement_timeout(false);
        assert_eq!(off.connection_options().get_options(), None);
        let own = PostgresConfig::from_url("postgres://u@h/db?options=-c%20statement_timeout%3D9s")
            .unwrap();
        assert_eq!(
            own.connection_options().get_options(),
            Some("-c statement_timeout=9s")
        );
    }

    #[test]
    fn a_pool_needs_a_runtime() {
        let config = PostgresConfig::from_url("postgres://user@host/db").unwrap();
        assert_eq!(config.pool().unwrap_err().kind(), ErrorKind::Config);
    }
}
