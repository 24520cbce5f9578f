/* The sync TLS policy and the words for its failures (shared by client and central service). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <yordam/sync_tls.h>

static const int sync_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};

static const mbedtls_ecp_group_id sync_curves[] = {
	MBEDTLS_ECP_DP_CURVE25519,
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_NONE,
};

static const int sync_sig_hashes[] = {
	MBEDTLS_MD_SHA256,
	MBEDTLS_MD_SHA384,
	MBEDTLS_MD_SHA512,
	MBEDTLS_MD_NONE,
};

void sync_tls_policy_apply(mbedtls_ssl_config *conf)
{
	/* mbedTLS 2.28's default minimum is TLS 1.0 */
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(conf, sync_suites);
	mbedtls_ssl_conf_curves(conf, sync_curves);
	mbedtls_ssl_conf_sig_hashes(conf, sync_sig_hashes);
	mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
}

static const char *alert_name(int a)
{
	switch (a) {
	case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
		return "handshake failure";
	case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION:
		return "protocol version";
	case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY:
		return "insufficient security";
	case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
		return "bad certificate";
	case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
		return "unknown CA";
	case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED:
		return "certificate revoked";
	case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED:
		return "certificate expired";
	case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED:
		return "access denied";
	case MBEDTLS_SSL_ALERT_MSG_ILLEGAL_PARAMETER:
		return "illegal parameter";
	case MBEDTLS_SSL_ALERT_MSG_DECODE_ERROR:
		return "decode error";
	case MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR:
		return "internal error";
	default:
		return "alert";
	}
}

void sync_tls_explain(char *buf, size_t len, int rc, const mbedtls_ssl_context *ssl)
{
	char native[128];
	uint32_t flags;

	mbedtls_strerror(rc, native, sizeof(native));
	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && ssl) {
		char info[512];
		const char *what = "certificate rejected";
		int n;

		flags = mbedtls_ssl_get_verify_result(ssl);
		if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
			what = "certificate expired";
		} else if (flags & MBEDTLS_X509_BADCERT_FUTURE) {
			what = "certificate not yet valid";
		} else if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
			what = "certificate not trusted";
		} else if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
			what = "certificate name mismatch";
		}
		n = mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		/* one line: the verify info is one line per flag */
		for (int i = 0; i < n && info[i]; i++) {
			if (info[i] == '\n') {
				info[i] = (info[i + 1] ? ';' : '\0');
			}
		}
		snprintf(buf, len, "%s: %s (flags 0x%x)", what, n > 0 ? info : "?", (unsigned)flags);
		return;
	}
	if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && ssl && ssl->in_msg) {
		/* mbedTLS 2.28 leaves the alert record in in_msg: level, description */
		int a = ssl->in_msg[1];
		/* The record that carried the alert tells which version the server speaks: a TLS 1.0/1.1-only
		 * server finds none of our (TLS 1.2-only) suites and aborts before any version is agreed. */
		if (ssl->in_hdr && ssl->in_hdr[1] == 3 && ssl->in_hdr[2] < 3) {
			snprintf(buf, len,
				 "the platform speaks only TLS 1.%d, we require TLS 1.2 (it refused the handshake with "
				 "alert %d: %s)",
				 ssl->in_hdr[2] - 1, a, alert_name(a));
			return;
		}
		snprintf(buf, len,
			 "the platform refused the handshake (alert %d: %s): no cipher suite in common? we offer only "
			 "ECDHE with AES-GCM or ChaCha20-Poly1305 over TLS 1.2",
			 a, alert_name(a));
		return;
	}
	if (rc == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION) {
		snprintf(buf, len, "the platform offers an older protocol version than TLS 1.2, which we require (%s)",
			 native);
		return;
	}
	if (rc == MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE || rc == MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO) {
		snprintf(buf, len,
			 "the platform chose a cipher suite or parameter we do not accept: we require ECDHE with "
			 "AES-GCM or ChaCha20-Poly1305 (%s)",
			 native);
		return;
	}
	if (rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_NET_CONN_RESET) {
		snprintf(buf, len, "the platform closed the connection (%s)", native);
		return;
	}
	snprintf(buf, len, "%s (-0x%04x)", native, (unsigned)-rc);
}

int sync_tls_cert_cn(const mbedtls_x509_crt *crt, char *buf, size_t len)
{
	const mbedtls_x509_name *n;

	for (n = &crt->subject; n; n = n->next) {
		if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			if (n->val.len + 1 > len) {
				return -ENOSPC;
			}
			memcpy(buf, n->val.p, n->val.len);
			buf[n->val.len] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}
