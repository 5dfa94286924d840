//! Choices a writer can be given.

/// Options for [`write`](crate::write). `WriteOptions::default()` suits most uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Which Telethon SQLite schema to write.
    pub telethon_schema: TelethonSchema,
}

impl WriteOptions {
    /// The default options.
    pub fn new() -> WriteOptions {
        WriteOptions::default()
    }

    /// Sets [`WriteOptions::telethon_schema`].
    pub fn with_telethon_schema(mut self, schema: TelethonSchema) -> WriteOptions {
        self.telethon_schema = schema;
        self
    }
}

/// A Telethon SQLite schema version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TelethonSchema {
    /// Schema 7 (Telethon 1.36 to 1.42): every Telethon 1.x from 1.36 on opens it, newer ones upgrade it.
    #[default]
    V7,
    /// Schema 8 (Telethon 1.43+, adds `sessions.tmp_auth_key`); older Telethon cannot open it.
    V8,
}
