//! A real ferogram client configuration on a `FerogramBackend`, and `Client::connect` reading the session
//! from it on a current-thread runtime (it connects to a closed loopback port: no network needed).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferogram_session::{DcEntry, DcFlags, PersistedSession, SessionBackend};
use session_core::{MemoryStorage, SessionStorageExt};
use session_ferogram::FerogramBackend;

/// Counts the client's `load` calls and passes everything to the `FerogramBackend`.
struct Counting {
    inner: FerogramBackend,
    loads: AtomicUsize,
}

impl SessionBackend for Counting {
    fn save(&self, session: &PersistedSession) -> std::io::Result<()> {
        self.inner.save(session)
    }
    fn load(&self) -> std::io::Result<Option<PersistedSession>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load()
    }
    fn delete(&self) -> std::io::Result<()> {
        self.inner.delete()
    }
    fn name(&self) -> &str {
        self.inner.name()
    }
}

/// A session whose home DC is a loopback port nobody listens on.
fn session_at_closed_port() -> PersistedSession {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    PersistedSession {
        home_dc_id: 2,
        dcs: vec![DcEntry {
            dc_id: 2,
            addr: format!("127.0.0.1:{port}"),
            auth_key: Some([3; 256]),
            first_salt: 5,
            time_offset: 0,
            flags: DcFlags::NONE,
        }],
        ..PersistedSession::default()
    }
}

#[test]
fn a_ferogram_config_built_on_the_backend_uses_it() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let storage = MemoryStorage::new();
    let backend = runtime
        .block_on(FerogramBackend::open(storage.clone()))
        .unwrap();
    backend.save(&session_at_closed_port()).unwrap();
    let counting = Arc::new(Counting {
        inner: backend,
        loads: AtomicUsize::new(0),
    });
    let config = ferogram::Client::builder()
        .api_id(12345)
        .api_hash("0123456789abcdef0123456789abcdef")
        .session_backend(counting.clone())
        .probe_transport(false)
        .build()
        .unwrap();
    assert_eq!(config.session_backend.name(), "tgsession");

    // connect() calls `load` on its async task (here the only thread of a current-thread runtime), then
    // dials the stored home DC, which refuses.
    let connected = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), ferogram::Client::connect(config)).await
    });
    let result = connected.expect("connect() did not finish within 30 s");
    assert!(result.is_err(), "connected to a closed port?");
    assert!(counting.loads.load(Ordering::SeqCst) >= 1);

    // The session is untouched, in memory and stored.
    let loaded = counting.inner.load().unwrap().unwrap();
    assert_eq!(loaded.home_dc_id, 2);
    assert_eq!(loaded.dcs[0].auth_key, Some([3; 256]));
    let stored = runtime.block_on(storage.load_session()).unwrap().unwrap();
    assert_eq!(stored.home_dc, Some(2));
    assert_eq!(stored.auth_key(2).unwrap().as_bytes(), &[3; 256]);
}
