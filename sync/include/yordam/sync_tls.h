/* The sync TLS policy, one definition for the appliance's client and the reference central
 * service: TLS 1.2 only, ECDHE with AES-GCM or ChaCha20-Poly1305 only (docs/sync.md). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>

/* Versions, cipher suites, curves and signature hashes on an initialised config. */
void sync_tls_policy_apply(mbedtls_ssl_config *conf);

/* Why a TLS operation failed, in words for a log line and for status: rc is the mbedTLS code,
 * ssl the context it came from (verification flags and a received alert are read from it). */
void sync_tls_explain(char *buf, size_t len, int rc, const mbedtls_ssl_context *ssl);

/* The subject CN of a certificate into buf (NUL-terminated). Returns 0 or -ENOENT/-ENOSPC. */
int sync_tls_cert_cn(const mbedtls_x509_crt *crt, char *buf, size_t len);
