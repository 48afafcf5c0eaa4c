//! Certificate errors in words: what rustls refused, said the way a user
//! can act on (`self-signed certificate; use --cacert FILE …`) instead of
//! its variant names (`CaUsedAsEndEntity`), used by [`TransportError`]'s
//! words; and the rustls configuration for kinds that do TLS themselves.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::http::TransportError;
use crate::config::Tls;

/// The rustls configuration for a kind that speaks TLS itself (`wss://`,
/// `tls://`): the same checks as the HTTP client's — rustls-platform-verifier
/// (the system's roots, which honour `$SSL_CERT_FILE`/`$SSL_CERT_DIR` on
/// Linux) plus `--cacert`'s certificates — or none under `--insecure`.
pub fn client_config(tls: &Tls) -> Result<Arc<ClientConfig>, TransportError> {
    let setup = |e: &dyn std::fmt::Display| TransportError::TlsSetup(e.to_string());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(&e))?;
    let config = if tls.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    } else {
        let extra = match &tls.extra_roots_pem {
            Some(pem) => CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| setup(&format!("--cacert: {e}")))?,
            None => Vec::new(),
        };
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
            .map_err(|e| setup(&e))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// `--insecure`: every certificate accepted, signatures still checked for
/// form so the handshake completes.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The certificate error somewhere in `err`'s cause chain, in words, with
/// what to do about it. rustls's error hides inside an `io::Error` whose
/// `source()` skips it, so each (nested) `io::Error` is opened with `get_ref`.
pub(crate) fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    use rustls::CertificateError as C;
    let mut cause = Some(err);
    while let Some(e) = cause {
        // io::Errors nest (hyper-util wraps tokio-rustls's): open each.
        let mut inner: &(dyn std::error::Error + 'static) = e;
        while let Some(wrapped) = inner.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            inner = wrapped;
        }
        let tls = inner.downcast_ref::<rustls::Error>();
        if let Some(rustls::Error::InvalidCertificate(c)) = tls {
            let next = "use --cacert FILE with the CA that signed it (or --insecure to skip the check)";
            return Some(match c {
                C::UnknownIssuer => format!(
                    "certificate not trusted (self-signed, or signed by a CA this system does not know); {next}"
                ),
                C::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => format!(
                    "self-signed certificate (a CA certificate used as the server's own); {next}"
                ),
                C::Expired | C::ExpiredContext { .. } => {
                    "certificate expired; renew it on the server (or --insecure to skip the check)".to_owned()
                }
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    "certificate not valid yet; check this machine's clock and the server's certificate".to_owned()
                }
                C::NotValidForNameContext { expected, presented } => format!(
                    "certificate is for another host ({}, not {}); check the URL's host name \
                     (or --insecure to skip the check)",
                    presented.iter().map(|p| bare_name(p)).collect::<Vec<_>>().join(", "),
                    expected.to_str()
                ),
                C::NotValidForName => {
                    "certificate is for another host; check the URL's host name (or --insecure to skip the check)"
                        .to_owned()
                }
                C::Revoked => "certificate revoked".to_owned(),
                other => format!("certificate refused ({other:?}); {next}"),
            });
        }
        cause = e.source();
    }
    None
}

/// A name rustls presents as `DnsName("h.example")` or `IpAddress(1.2.3.4)`,
/// bare.
fn bare_name(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(presented, |inner| inner.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_are_said_in_words_through_nested_io_errors() {
        use rustls::CertificateError as C;
        let words = |c: C| {
            let tls = rustls::Error::InvalidCertificate(c);
            let io = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
            certificate_problem(&io).unwrap()
        };
        assert!(words(C::Expired).starts_with("certificate expired"));
        assert!(words(C::NotValidYet).starts_with("certificate not valid yet"));
        assert!(
            words(C::UnknownIssuer)
                .ends_with("use --cacert FILE with the CA that signed it (or --insecure to skip the check)")
        );
        assert!(words(C::NotValidForName).starts_with("certificate is for another host"));
        assert_eq!(words(C::Revoked), "certificate revoked");
        assert_eq!(certificate_problem(&std::io::Error::other("refused")), None);
        assert_eq!(bare_name("DnsName(\"h.example\")"), "h.example");
        assert_eq!(bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(bare_name("plain"), "plain");
    }
}
