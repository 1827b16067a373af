//! Outbound email: over SMTP when an operator configures a server, otherwise into a
//! folder of `.eml` files (the embedded default, where a developer reads what would
//! have been sent). A message is named by a key its sender chooses and that key is its
//! `Message-ID`, so sending one again after a crash rewrites the same file, and an
//! SMTP receiver sees the same id.

use std::path::PathBuf;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// `.eml` files in this folder, one per message.
    Folder(PathBuf),
    /// An SMTP server, as a URL: `smtp://host:25`, `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required`.
    Smtp(String),
}

/// How this server sends mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The sender every message carries: `Convene <no-reply@example.com>`.
    pub from: String,
    /// Where messages go.
    pub transport: MailTransport,
}

impl Default for MailSettings {
    fn default() -> MailSettings {
        MailSettings {
            from: "Convene <no-reply@convene.localhost>".into(),
            transport: MailTransport::Folder(std::env::temp_dir().join("convene-mail")),
        }
    }
}

impl MailSettings {
    /// The sender, if these settings can work: a readable sender and SMTP URL.
    pub fn check(&self) -> Result<Mailbox, MailError> {
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|_| MailError::Address(self.from.clone()))?;
        if let MailTransport::Smtp(url) = &self.transport {
            smtp(url)?;
        }
        Ok(from)
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Unique per message and the same on every attempt to send it: the file name and
    /// the `Message-ID`.
    pub key: String,
    /// The recipient's name, if known.
    pub to_name: Option<String>,
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address cannot be used; sending again will not help.
    #[error("`{0}` is not a usable email address")]
    Address(String),
    /// The SMTP server refused for good (a 5xx answer); sending again will not help.
    #[error("the mail server refused the message: {0}")]
    Refused(String),
    /// The SMTP server is unreachable or answered "try later"; sending again may help.
    #[error("the mail server is unavailable: {0}")]
    Unavailable(String),
    /// The folder could not be written.
    #[error("writing the mail folder failed: {0}")]
    Folder(#[from] std::io::Error),
    /// The message could not be put together.
    #[error("the message could not be built: {0}")]
    Build(String),
}

impl MailError {
    /// Whether sending again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Unavailable(_) | MailError::Folder(_))
    }
}

/// Sends mail the configured way.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Folder(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The settings cannot work; the reason.
    Unusable(String),
}

fn smtp(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| MailError::Build(format!("the SMTP URL `{url}` is unusable: {e}")))?
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build())
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.transport {
            Transport::Folder(dir) => format!("folder {}", dir.display()),
            Transport::Smtp(_) => "smtp".to_string(),
            Transport::Unusable(why) => format!("unusable: {why}"),
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &transport)
            .finish()
    }
}

impl Mailer {
    /// A mailer for `settings`. Settings that cannot work (see [`MailSettings::check`],
    /// which the server runs at start) make every send fail with the reason.
    pub fn new(settings: &MailSettings) -> Mailer {
        let built = settings.check().and_then(|from| {
            let transport = match &settings.transport {
                MailTransport::Folder(dir) => Transport::Folder(dir.clone()),
                MailTransport::Smtp(url) => Transport::Smtp(smtp(url)?),
            };
            Ok((from, transport))
        });
        match built {
            Ok((from, transport)) => Mailer { from, transport },
            Err(e) => Mailer {
                from: Mailbox::new(
                    None,
                    lettre::Address::new("no-reply", "invalid").expect("a valid address"),
                ),
                transport: Transport::Unusable(e.to_string()),
            },
        }
    }

    /// Sends `email`.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to = Mailbox::new(
            email.to_name.clone(),
            email
                .to
                .parse()
                .map_err(|_| MailError::Address(email.to.clone()))?,
        );
        let domain = self.from.email.domain().to_string();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .message_id(Some(format!("<{}@{domain}>", email.key)))
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Transport::Folder(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let name = file_name(&email.key);
                let partial = dir.join(format!(".{name}.partial"));
                tokio::fs::write(&partial, message.formatted()).await?;
                tokio::fs::rename(&partial, dir.join(name)).await?;
                Ok(())
            }
            Transport::Unusable(why) => Err(MailError::Build(why.clone())),
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    MailError::Refused(e.to_string())
                } else {
                    MailError::Unavailable(e.to_string())
                }
            }),
        }
    }
}

/// The file a message keyed `key` is written to: the key with anything but letters,
/// digits, `-`, `_` and `.` replaced, so no key can leave the folder.
pub fn file_name(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.eml", safe.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_folder() {
        assert_eq!(file_name("workflow-12-3"), "workflow-12-3.eml");
        assert_eq!(file_name("../../etc/passwd"), "_.._etc_passwd.eml");
    }

    #[test]
    fn unusable_settings_are_named_at_start() {
        let bad_from = MailSettings {
            from: "nobody".into(),
            ..MailSettings::default()
        };
        assert!(matches!(bad_from.check(), Err(MailError::Address(_))));
        let bad_url = MailSettings {
            transport: MailTransport::Smtp("gopher://mail".into()),
            ..MailSettings::default()
        };
        assert!(
            bad_url
                .check()
                .unwrap_err()
                .to_string()
                .contains("gopher://mail")
        );
    }

    #[tokio::test]
    async fn a_message_sent_twice_is_one_file_with_a_stable_message_id() {
        let dir = std::env::temp_dir().join(format!("convene-mail-test-{}", std::process::id()));
        let mailer = Mailer::new(&MailSettings {
            from: "Convene <no-reply@convene.test>".into(),
            transport: MailTransport::Folder(dir.clone()),
        });
        let email = Email {
            key: "send-1".into(),
            to_name: Some("Jane Doe".into()),
            to: "jane@acme.com".into(),
            subject: "Your meeting tomorrow".into(),
            text: "See you then.".into(),
        };
        mailer.send(&email).await.unwrap();
        mailer.send(&email).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(dir.join("send-1.eml")).unwrap();
        assert!(text.contains("Message-ID: <send-1@convene.test>"), "{text}");
        assert!(text.contains("To: \"Jane Doe\" <jane@acme.com>"), "{text}");
        let refused = mailer
            .send(&Email {
                to: "not an address".into(),
                ..email
            })
            .await
            .unwrap_err();
        assert!(!refused.is_transient());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
