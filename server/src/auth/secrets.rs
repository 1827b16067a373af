//! Secrets at rest: provider tokens and API keys are sealed with AES-256-GCM under one
//! server key before they reach the database, so a copy of the database (a backup, a
//! replica, a leaked dump) holds nothing usable without the key.
//!
//! A sealed value is text: base64 of `format (1 byte) | key id (1 byte) | nonce (12
//! bytes) | ciphertext and tag`. The nonce is random per seal. The key id is the first
//! byte of the key's SHA-256, so a value sealed under another key is reported as such
//! (and a later key ring can pick the right key) instead of failing as "tampered". The
//! format byte, key id and a purpose label (`connection.access_token`) are authenticated
//! as associated data, so a sealed refresh token cannot be passed off as an access token.
//!
//! The key comes from `CONVENE_SECRET_KEY`, a key file, or, for the embedded SQLite
//! default, a `convene.key` generated beside the database on first run (see [`load`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The layout version written as a sealed value's first byte.
const FORMAT: u8 = 1;
/// Bytes before the ciphertext: format, key id, nonce.
const HEADER: usize = 2 + NONCE_LEN;
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// The server's 256-bit key for sealing secrets and deriving signing keys.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    bytes: [u8; KEY_LEN],
}

/// Never print the key, only its id.
impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(id {})", self.id())
    }
}

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not something [`SecretKey::seal`] wrote.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Sealed under another key (the server key changed without a rotation).
    #[error("the value was sealed with key {sealed_with}, this server has key {ours}")]
    OtherKey {
        /// The id stored with the value.
        sealed_with: u8,
        /// The id of the key at hand.
        ours: u8,
    },
    /// The authentication tag did not match: altered, or sealed for another purpose.
    #[error("the sealed value was altered or belongs elsewhere")]
    Tampered,
}

/// Why no key could be had; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not 32 bytes in base64 or hex.
    #[error("the secret key {origin} is not 32 bytes in base64 or hex")]
    Invalid {
        /// Where it came from (`in CONVENE_SECRET_KEY`, `in file …`).
        origin: String,
    },
    /// The key file could not be read or written.
    #[error("the secret key file {path} could not be {action}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// `read` or `created`.
        action: &'static str,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A shared database and no key: generating one per process would make each
    /// process unable to read what the others sealed.
    #[error(
        "no secret key is configured. With PostgreSQL every process must share one key: \
         set CONVENE_SECRET_KEY to 32 random bytes in base64 (e.g. `openssl rand -base64 32`) \
         or point --secret-key-file (CONVENE_SECRET_KEY_FILE) at a file holding them"
    )]
    NotConfigured,
}

impl SecretKey {
    /// A fresh random key.
    pub fn generate() -> SecretKey {
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        SecretKey { bytes }
    }

    /// Reads 32 bytes written as base64 (standard or URL-safe, padded or not) or as 64
    /// hex digits; surrounding whitespace is ignored. `None` for anything else.
    pub fn from_text(text: &str) -> Option<SecretKey> {
        let text = text.trim();
        let decoded = if text.len() == 2 * KEY_LEN {
            hex::decode(text).ok()
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
        };
        let bytes = decoded?.try_into().ok()?;
        Some(SecretKey { bytes })
    }

    /// The key as standard base64, the form a key file holds.
    pub fn to_text(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    /// The key's id: the first byte of its SHA-256, stored with every sealed value.
    pub fn id(&self) -> u8 {
        Sha256::digest(self.bytes)[0]
    }

    /// A separate 256-bit key for `purpose` (HMAC-SHA256 of the label under this key),
    /// so a signature key never doubles as the encryption key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.bytes).expect("HMAC takes a key of any length");
        mac.update(b"convene:");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Seals `plaintext` for `purpose` under a fresh random nonce.
    pub fn seal(&self, purpose: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let header = [FORMAT, self.id()];
        let ciphertext = self
            .cipher()
            .encrypt(
                &Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &associated_data(header, purpose),
                },
            )
            .expect("AES-GCM seals any message shorter than 64 GiB");
        let mut sealed = Vec::with_capacity(HEADER + ciphertext.len());
        sealed.extend_from_slice(&header);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        STANDARD.encode(sealed)
    }

    /// Opens what [`seal`](Self::seal) wrote for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, OpenError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| OpenError::Malformed)?;
        if bytes.len() < HEADER || bytes[0] != FORMAT {
            return Err(OpenError::Malformed);
        }
        if bytes[1] != self.id() {
            return Err(OpenError::OtherKey {
                sealed_with: bytes[1],
                ours: self.id(),
            });
        }
        let nonce: [u8; NONCE_LEN] = bytes[2..HEADER].try_into().expect("sliced to length");
        let plaintext = self
            .cipher()
            .decrypt(
                &Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: &bytes[HEADER..],
                    aad: &associated_data([bytes[0], bytes[1]], purpose),
                },
            )
            .map_err(|_| OpenError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| OpenError::Malformed)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.bytes.into())
    }
}

fn associated_data(header: [u8; 2], purpose: &str) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(purpose.as_bytes());
    aad
}

/// The server key, from the first of:
/// 1. `inline` (`CONVENE_SECRET_KEY`);
/// 2. `file` (`--secret-key-file`, `CONVENE_SECRET_KEY_FILE`), which must exist;
/// 3. for SQLite, `convene.key` beside the database file, created (mode 0600) on first
///    run; an in-memory database gets a key that lives as long as its data.
///
/// PostgreSQL without 1 or 2 is refused: several processes share that database and
/// would each generate a different key.
pub fn load(
    inline: Option<&str>,
    file: Option<&Path>,
    database_url: &str,
) -> Result<SecretKey, KeyError> {
    if let Some(text) = inline {
        return SecretKey::from_text(text).ok_or_else(|| KeyError::Invalid {
            origin: "in CONVENE_SECRET_KEY".into(),
        });
    }
    if let Some(path) = file {
        return read_key_file(path);
    }
    match sqlite_file(database_url) {
        Some(SqliteFile::Memory) => Ok(SecretKey::generate()),
        Some(SqliteFile::Path(db)) => {
            let path = db
                .parent()
                .unwrap_or_else(|| Path::new(""))
                .join("convene.key");
            read_or_create_key_file(&path)
        }
        None => Err(KeyError::NotConfigured),
    }
}

fn read_key_file(path: &Path) -> Result<SecretKey, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::File {
        path: path.to_path_buf(),
        action: "read",
        source,
    })?;
    warn_if_readable_by_others(path);
    SecretKey::from_text(&text).ok_or_else(|| KeyError::Invalid {
        origin: format!("in file {}", path.display()),
    })
}

/// Creates the file with a new key unless it exists; either way answers the key in it.
/// Two processes starting at once both end up with the one that was written first.
fn read_or_create_key_file(path: &Path) -> Result<SecretKey, KeyError> {
    let key = SecretKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", key.to_text()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|source| KeyError::File {
                    path: path.to_path_buf(),
                    action: "created",
                    source,
                })?;
            tracing::info!(
                key.path = %path.display(),
                "generated the secret key that seals provider tokens; back it up with the \
                 database: without it stored connections cannot be used"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path),
        Err(source) => Err(KeyError::File {
            path: path.to_path_buf(),
            action: "created",
            source,
        }),
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            key.path = %path.display(),
            "the secret key file is readable by other users; `chmod 600` it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

enum SqliteFile {
    Memory,
    Path(PathBuf),
}

/// The database file a `sqlite:` URL names, or `None` for another database.
fn sqlite_file(url: &str) -> Option<SqliteFile> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || path.starts_with("file::memory:") {
        return Some(SqliteFile::Memory);
    }
    Some(SqliteFile::Path(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_to_what_was_sealed_and_hides_it() {
        let key = SecretKey::generate();
        let sealed = key.seal("connection.access_token", "ya29.secret-token");
        assert!(!sealed.contains("secret-token"));
        assert_eq!(
            key.open("connection.access_token", &sealed).as_deref(),
            Ok("ya29.secret-token")
        );
        assert_ne!(
            sealed,
            key.seal("connection.access_token", "ya29.secret-token"),
            "a fresh nonce per seal"
        );
    }

    #[test]
    fn an_altered_value_is_refused() {
        let key = SecretKey::generate();
        let sealed = key.seal("p", "token");
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        for at in [2, HEADER, bytes.len() - 1] {
            bytes[at] ^= 0x01;
            let altered = STANDARD.encode(&bytes);
            assert_eq!(
                key.open("p", &altered),
                Err(OpenError::Tampered),
                "byte {at}"
            );
            bytes[at] ^= 0x01;
        }
        assert_eq!(key.open("p", "not base64!"), Err(OpenError::Malformed));
        assert_eq!(key.open("p", &sealed[..8]), Err(OpenError::Malformed));
    }

    #[test]
    fn another_key_or_purpose_cannot_open_it() {
        let key = SecretKey::generate();
        let sealed = key.seal("connection.refresh_token", "token");
        assert_eq!(
            key.open("connection.access_token", &sealed),
            Err(OpenError::Tampered)
        );
        let other = SecretKey::generate();
        let refused = other.open("connection.refresh_token", &sealed);
        // Ids collide for one key pair in 256; then the tag refuses it.
        let expected = if other.id() == key.id() {
            OpenError::Tampered
        } else {
            OpenError::OtherKey {
                sealed_with: key.id(),
                ours: other.id(),
            }
        };
        assert_eq!(refused, Err(expected));
    }

    #[test]
    fn keys_read_as_base64_or_hex() {
        let key = SecretKey::generate();
        let bytes = STANDARD.decode(key.to_text()).unwrap();
        for text in [
            key.to_text(),
            format!("  {}\n", key.to_text()),
            URL_SAFE_NO_PAD.encode(&bytes),
            hex::encode(&bytes),
        ] {
            assert_eq!(SecretKey::from_text(&text), Some(key.clone()), "{text:?}");
        }
        for junk in [
            "",
            "short",
            &hex::encode([1u8; 31]),
            &STANDARD.encode([1u8; 33]),
        ] {
            assert_eq!(SecretKey::from_text(junk), None, "{junk:?}");
        }
        assert!(!format!("{key:?}").contains(&key.to_text()));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_from_the_key() {
        let key = SecretKey::generate();
        assert_ne!(key.derive("oauth-state"), key.derive("other"));
        assert_eq!(key.derive("oauth-state"), key.derive("oauth-state"));
        assert_ne!(key.derive("oauth-state").to_vec(), key.bytes.to_vec());
    }

    #[test]
    fn sqlite_gets_a_key_file_beside_the_database_created_once_private() {
        let dir = std::env::temp_dir().join(format!("convene-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/data.db?mode=rwc", dir.display());
        let first = load(None, None, &url).unwrap();
        let path = dir.join("convene.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            load(None, None, &url).unwrap(),
            first,
            "the same key next time"
        );
        assert_eq!(load(None, Some(&path), "postgres://db/x").unwrap(), first);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn postgres_without_a_key_is_refused_and_given_keys_win() {
        assert!(matches!(
            load(None, None, "postgres://postgres@127.0.0.1/convene"),
            Err(KeyError::NotConfigured)
        ));
        let key = SecretKey::generate();
        let loaded = load(Some(&key.to_text()), None, "postgres://db/x").unwrap();
        assert_eq!(loaded, key);
        assert!(matches!(
            load(Some("nope"), None, "sqlite::memory:"),
            Err(KeyError::Invalid { .. })
        ));
        assert!(matches!(
            load(
                None,
                Some(Path::new("/nonexistent/convene.key")),
                "sqlite::memory:"
            ),
            Err(KeyError::File { action: "read", .. })
        ));
        assert!(load(None, None, "sqlite::memory:").is_ok());
    }
}
