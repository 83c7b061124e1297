/*
 * crypto.c: the only file that speaks OpenSSL. Hashes, constant-time
 * comparison, randomness, wiping, and the TLS contexts of the front
 * (server, with optional client certificates) and of the upstream
 * (certificate pinning for panels with self-signed certificates).
 * Callers see SSL_CTX and SSL objects as void pointers.
 *
 * Also the primitives of verifiable answers: Ed25519 (RFC 8032, plain, not
 * Ed25519ph) for signatures, HMAC-SHA256 for derived salts and pseudonyms,
 * HKDF-SHA256 (RFC 5869) to derive those keys from one secret.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sightline.h"

static int	 crypto_pin_idx = -1;	/* SSL_CTX ex_data: expected fingerprint */

static void
crypto_pin_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	free(ptr);
}

void
crypto_init(void)
{
	if (crypto_pin_idx != -1)
		return;
	crypto_pin_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    crypto_pin_free);
	if (crypto_pin_idx == -1)
		fatalx("%s: cannot allocate OpenSSL ex_data indexes", __func__);
}

void
crypto_sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	unsigned int	 n = SHA256_LEN;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		fatalx("%s: EVP_Digest failed", __func__);
}

void
crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	uint8_t	 md[SHA256_LEN];

	crypto_sha256(data, len, md);
	hex_encode(md, sizeof(md), out);
}

/*
 * SHA-256 over data that arrives in pieces. crypto_sha256_digest() gives
 * the hash of everything so far and lets more follow, so one pass can
 * report the hash of several prefixes.
 */
struct crypto_sha256_ctx {
	EVP_MD_CTX	*cs_md;
};

/* A new hash of nothing yet, or NULL when memory runs out. */
struct crypto_sha256_ctx *
crypto_sha256_new(void)
{
	struct crypto_sha256_ctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->cs_md = EVP_MD_CTX_new()) == NULL) {
		free(c);
		return NULL;
	}
	if (EVP_DigestInit_ex(c->cs_md, EVP_sha256(), NULL) != 1)
		fatalx("%s: EVP_DigestInit_ex failed", __func__);
	return c;
}

void
crypto_sha256_update(struct crypto_sha256_ctx *c, const void *data,
    size_t len)
{
	if (EVP_DigestUpdate(c->cs_md, data, len) != 1)
		fatalx("%s: EVP_DigestUpdate failed", __func__);
}

/* Returns 0, or -1 when memory runs out. */
int
crypto_sha256_digest(const struct crypto_sha256_ctx *c,
    uint8_t out[SHA256_LEN])
{
	EVP_MD_CTX	*copy;
	unsigned int	 n = SHA256_LEN;

	if ((copy = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_MD_CTX_copy_ex(copy, c->cs_md) != 1 ||
	    EVP_DigestFinal_ex(copy, out, &n) != 1)
		fatalx("%s: cannot finish a copy of the hash", __func__);
	EVP_MD_CTX_free(copy);
	return 0;
}

void
crypto_sha256_free(struct crypto_sha256_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->cs_md);
	free(c);
}

/*
 * Equal in time that depends on len only. Returns 1 when equal.
 */
int
crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
crypto_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

void
crypto_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

/* ---- Ed25519, HMAC, HKDF ---- */

struct crypto_ed25519 {
	EVP_PKEY	*ce_key;
	int		 ce_private;
};

/*
 * A signing key from its 32-byte seed (priv = 1), or a verifying key from
 * its 32-byte public key (priv = 0). Returns NULL if OpenSSL refuses the
 * bytes. Free with crypto_ed25519_free().
 */
struct crypto_ed25519 *
crypto_ed25519_new(const uint8_t key[ED25519_KEY_LEN], int priv)
{
	struct crypto_ed25519	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->ce_private = priv;
	k->ce_key = priv ?
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key,
	    ED25519_KEY_LEN) :
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key,
	    ED25519_KEY_LEN);
	if (k->ce_key == NULL) {
		ERR_clear_error();
		free(k);
		return NULL;
	}
	return k;
}

void
crypto_ed25519_free(struct crypto_ed25519 *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->ce_key);
	free(k);
}

/* The public half of k. Returns 0, or -1. */
int
crypto_ed25519_public(const struct crypto_ed25519 *k,
    uint8_t pub[ED25519_KEY_LEN])
{
	size_t	 n = ED25519_KEY_LEN;

	if (EVP_PKEY_get_raw_public_key(k->ce_key, pub, &n) != 1 ||
	    n != ED25519_KEY_LEN) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* Sign msg. Returns 0, or -1 (a verifying key, or out of memory). */
int
crypto_ed25519_sign(const struct crypto_ed25519 *k, const void *msg,
    size_t len, uint8_t sig[ED25519_SIG_LEN])
{
	EVP_MD_CTX	*ctx;
	size_t		 n = ED25519_SIG_LEN;
	int		 ok;

	if (!k->ce_private || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->ce_key) == 1 &&
	    EVP_DigestSign(ctx, sig, &n, msg, len) == 1 &&
	    n == ED25519_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

/*
 * 1 if sig is k's signature of msg, else 0. OpenSSL checks RFC 8032
 * strictly: a non-canonical S or a small-order key fails.
 */
int
crypto_ed25519_verify(const struct crypto_ed25519 *k, const void *msg,
    size_t len, const uint8_t sig[ED25519_SIG_LEN])
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->ce_key) == 1 &&
	    EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

void
crypto_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg,
    size_t len, uint8_t out[SHA256_LEN])
{
	unsigned int	 n = SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) == NULL)
		fatalx("%s: HMAC failed", __func__);
}

/*
 * HKDF-SHA256 (RFC 5869) of ikm with an empty salt and info as the
 * label, into out. Returns 0, or -1.
 */
int
crypto_hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const char *info,
    uint8_t *out, size_t outlen)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx;
	OSSL_PARAM	 p[4];
	int		 ok;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -1;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)ikm, ikmlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, strlen(info));
	p[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, outlen, p) == 1;
	EVP_KDF_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

/*
 * The first OpenSSL error in the queue, as text; the queue is cleared.
 */
static const char *
crypto_errstr(void)
{
	static char	 buf[160];
	unsigned long	 e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "unknown TLS error";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/*
 * A TLS server context: certificate chain and key, TLS 1.2 or later,
 * no renegotiation. With client_ca, clients may present a certificate
 * signed by that CA; whether one is required is the caller's business
 * (bearer tokens remain an alternative). Returns a new SSL_CTX the caller
 * frees with crypto_tls_free(), or NULL with a reason.
 */
void *
crypto_tls_server_new(const char *cert, const char *key, const char *client_ca,
    char *err)
{
	SSL_CTX			*ctx;
	STACK_OF(X509_NAME)	*names;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		err_set(err, "TLS context: %s", crypto_errstr());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		err_set(err, "certificate %s: %s", cert, crypto_errstr());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		err_set(err, "key %s: %s", key, crypto_errstr());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		err_set(err, "key %s does not match certificate %s", key, cert);
		goto fail;
	}
	if (client_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1 ||
		    (names = SSL_load_client_CA_file(client_ca)) == NULL) {
			err_set(err, "client CA %s: %s", client_ca,
			    crypto_errstr());
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
		/* Sessions must not resume across a changed client CA. */
		SSL_CTX_set_session_id_context(ctx,
		    (const unsigned char *)"sightline", 9);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void
crypto_tls_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

/* A new server-side SSL for one accepted connection, or NULL. */
void *
crypto_tls_ssl_new(void *ctx)
{
	return SSL_new(ctx);
}

/* Take one more reference to a TLS context. */
void
crypto_tls_ref(void *ctx)
{
	SSL_CTX_up_ref(ctx);
}

/*
 * The common name of a client certificate that verified against the
 * client CA. Returns 0 and fills cn, or -1 when there is no verified
 * certificate or it has no usable CN.
 */
int
crypto_tls_peer_cn(void *ssl, char *cn, size_t cnlen)
{
	X509		*x;
	X509_NAME	*name;
	int		 n;

	if (ssl == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return -1;
	if ((x = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	name = X509_get_subject_name(x);
	n = X509_NAME_get_text_by_NID(name, NID_commonName, cn, (int)cnlen);
	X509_free(x);
	/* Refuse truncated names and names with embedded NULs. */
	if (n <= 0 || (size_t)n >= cnlen || strlen(cn) != (size_t)n)
		return -1;
	return 0;
}

/*
 * Pinning: the chain is not validated; the leaf certificate's SHA-256
 * must equal the configured fingerprint, and nothing else is accepted.
 */
static int
crypto_pin_verify(int preverify, X509_STORE_CTX *xctx)
{
	const uint8_t	*want;
	uint8_t		 md[SHA256_LEN];
	unsigned int	 n = sizeof(md);
	SSL		*ssl;
	X509		*x;

	if (X509_STORE_CTX_get_error_depth(xctx) > 0)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(xctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL)
		return 0;
	want = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), crypto_pin_idx);
	x = X509_STORE_CTX_get_current_cert(xctx);
	if (want == NULL || x == NULL ||
	    X509_digest(x, EVP_sha256(), md, &n) != 1 || n != sizeof(md))
		return 0;
	if (!crypto_memeq(md, want, sizeof(md))) {
		X509_STORE_CTX_set_error(xctx, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	X509_STORE_CTX_set_error(xctx, X509_V_OK);
	return 1;
}

/*
 * Make an upstream client context accept exactly the certificate whose
 * SHA-256 fingerprint is fp (copied; the copy lives as long as the context).
 */
int
crypto_tls_pin(void *sslctx, const uint8_t fp[SHA256_LEN])
{
	uint8_t	*copy;

	if ((copy = malloc(SHA256_LEN)) == NULL)
		return -1;
	memcpy(copy, fp, SHA256_LEN);
	if (SSL_CTX_set_ex_data(sslctx, crypto_pin_idx, copy) != 1) {
		free(copy);
		return -1;
	}
	SSL_CTX_set_verify(sslctx, SSL_VERIFY_PEER, crypto_pin_verify);
	return 0;
}
