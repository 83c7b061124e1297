/*
 * auth.c: who is asking. Hosters present a bearer token, the same token
 * in Proxmox's "PVEAPIToken=USER@REALM!TOKENID=SECRET" form (so unmodified
 * Proxmox clients work), or a client certificate. The configuration holds
 * only SHA-256 digests of tokens; a presented token is hashed and compared
 * with every configured digest in constant time, whether it matched
 * already or not.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "sightline.h"

#define AUTH_TOKEN_MAX	512

void
auth_token_hash(const char *token, char out[SHA256_HEX_LEN + 1])
{
	crypto_sha256_hex(token, strlen(token), out);
}

/*
 * The token in s without the spaces around it: its start, and its
 * length in *len. How both the daemon and "sightline token -H" read one.
 */
const char *
auth_token_trim(const char *s, size_t *len)
{
	while (*s == ' ')
		s++;
	*len = strlen(s);
	while (*len > 0 && s[*len - 1] == ' ')
		(*len)--;
	return s;
}

/* The hoster whose digest matches, or NULL; time independent of which. */
static const struct conf_hoster *
auth_match(const struct conf *cf, const char *token, size_t len)
{
	const struct conf_hoster	*found = NULL;
	uint8_t				 md[SHA256_LEN];
	size_t				 i;

	crypto_sha256(token, len, md);
	for (i = 0; i < cf->cf_nhosters; i++) {
		const struct conf_hoster	*ho = &cf->cf_hosters[i];
		int				 eq;

		eq = crypto_memeq(md, ho->ho_token, sizeof(md));
		if (eq && ho->ho_has_token && found == NULL)
			found = ho;
	}
	crypto_wipe(md, sizeof(md));
	return found;
}

/*
 * "Bearer TOKEN" (the scheme is case-insensitive). Returns 0 and fills id
 * when a hoster matches, else -1.
 */
int
auth_bearer(const struct conf *cf, const char *value,
    struct auth_identity *id)
{
	const char	*tok;
	size_t		 len;

	if (strncasecmp(value, "Bearer ", 7) != 0)
		return -1;
	tok = auth_token_trim(value + 7, &len);
	if (len == 0 || len > AUTH_TOKEN_MAX)
		return -1;
	if ((id->ai_hoster = auth_match(cf, tok, len)) == NULL)
		return -1;
	id->ai_method = "bearer";
	return 0;
}

/*
 * "PVEAPIToken=USER@REALM!TOKENID=SECRET", split at the last '=' as
 * Proxmox does. The secret must match a hoster's token; when that hoster
 * names a pve_token_id, the id must match it too.
 */
int
auth_pve_token(const struct conf *cf, const char *value,
    struct auth_identity *id)
{
	const struct conf_hoster	*ho;
	const char			*tokid, *eq;
	size_t				 idlen;

	if (strncmp(value, "PVEAPIToken=", 12) != 0)
		return -1;
	tokid = value + 12;
	if ((eq = strrchr(tokid, '=')) == NULL || eq == tokid ||
	    strlen(eq + 1) == 0 || strlen(eq + 1) > AUTH_TOKEN_MAX)
		return -1;
	idlen = (size_t)(eq - tokid);
	if ((ho = auth_match(cf, eq + 1, strlen(eq + 1))) == NULL)
		return -1;
	if (ho->ho_pve_token_id != NULL &&
	    (strlen(ho->ho_pve_token_id) != idlen ||
	    strncmp(ho->ho_pve_token_id, tokid, idlen) != 0))
		return -1;
	id->ai_hoster = ho;
	id->ai_method = "pve-token";
	return 0;
}

/* A verified client certificate's CN, matched against cert_cn. */
int
auth_cert(const struct conf *cf, const char *cn, struct auth_identity *id)
{
	size_t	 i;

	for (i = 0; i < cf->cf_nhosters; i++)
		if (cf->cf_hosters[i].ho_cert_cn != NULL &&
		    strcmp(cf->cf_hosters[i].ho_cert_cn, cn) == 0) {
			id->ai_hoster = &cf->cf_hosters[i];
			id->ai_method = "cert";
			return 0;
		}
	return -1;
}
