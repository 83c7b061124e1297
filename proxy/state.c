/*
 * state.c: everything one configuration builds (the checked configuration,
 * the TLS context, every panel with its policy and upstream), as a unit
 * that is built completely or not at all. A reload builds a new state
 * next to the running one and swaps it in only when everything loaded;
 * requests still in flight keep the old state alive through a reference.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/*
 * Load the configuration at path and everything it names. Returns a new
 * state with one reference, or NULL and in *errors a new message (one
 * line per problem; caller frees).
 */
struct state *
state_new(struct event_base *base, const char *path, char **errors)
{
	struct state	*st;
	struct buf	 b;
	char		 err[ERR_MAX];
	size_t		 i, npve = 0;
	int		 tls = 0;

	*errors = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		*errors = strdup("out of memory");
		return NULL;
	}
	st->st_refs = 1;
	if ((st->st_conf = conf_load(path, errors)) == NULL) {
		state_unref(st);
		return NULL;
	}
	/*
	 * The configuration is valid; now load what it names, and report
	 * every certificate and policy that fails, not just the first.
	 */
	buf_init(&b);
	for (i = 0; i < st->st_conf->cf_nlisten; i++)
		tls |= st->st_conf->cf_listen[i].li_tls;
	if (tls && (st->st_tls = crypto_tls_server_new(st->st_conf->cf_tls_cert,
	    st->st_conf->cf_tls_key, st->st_conf->cf_client_ca, err)) == NULL)
		buf_printf(&b, "%s: tls: %s\n", path, err);
	st->st_panels = calloc(st->st_conf->cf_npanels, sizeof(*st->st_panels));
	if (st->st_panels == NULL)
		buf_printf(&b, "%s: out of memory\n", path);
	for (i = 0; st->st_panels != NULL && i < st->st_conf->cf_npanels;
	    i++) {
		struct conf_panel	*pc = &st->st_conf->cf_panels[i];
		struct panel		*pa;

		if ((pa = panel_new(base, pc, st->st_conf, err)) == NULL) {
			buf_printf(&b, "%s: panels[%zu]: %s\n", path, i + 1,
			    err);
			continue;
		}
		st->st_panels[st->st_npanels++] = pa;
		if (pc->pc_plugin == &plugin_proxmox) {
			npve++;
			st->st_root = pa;
		}
	}
	/* Unmodified Proxmox clients need the API at /api2/json. */
	if (npve != 1)
		st->st_root = NULL;
	if (b.b_len == 0 && !b.b_oom) {
		buf_free(&b);
		return st;
	}
	if (b.b_len > 0)
		b.b_len--;	/* the last newline */
	*errors = buf_take(&b, NULL);
	state_unref(st);
	return NULL;
}

void
state_ref(struct state *st)
{
	st->st_refs++;
}

void
state_unref(struct state *st)
{
	size_t	 i;

	if (st == NULL || --st->st_refs > 0)
		return;
	for (i = 0; i < st->st_npanels; i++)
		panel_free(st->st_panels[i]);
	free(st->st_panels);
	crypto_tls_free(st->st_tls);
	conf_free(st->st_conf);
	free(st);
}

/* The panel named name, or NULL. */
struct panel *
state_panel(const struct state *st, const char *name)
{
	size_t	 i;

	for (i = 0; i < st->st_npanels; i++)
		if (strcmp(st->st_panels[i]->pa_conf->pc_name, name) == 0)
			return st->st_panels[i];
	return NULL;
}

/*
 * Before st replaces old: carry over the inventories of panels that stay
 * (same name, plugin and URL), redacted anew with st's policies. Returns
 * 0, or -1 with a reason (then st must not replace old).
 */
int
state_adopt(struct state *st, const struct state *old, char *err)
{
	struct panel	*prev;
	size_t		 i;

	for (i = 0; i < st->st_npanels; i++) {
		prev = state_panel(old, st->st_panels[i]->pa_conf->pc_name);
		if (prev != NULL &&
		    panel_adopt(st->st_panels[i], prev, err) == -1) {
			err_prefix(err, "panel %s: ",
			    st->st_panels[i]->pa_conf->pc_name);
			return -1;
		}
	}
	return 0;
}

/* st is being replaced: its panels refresh no more. */
void
state_stop(struct state *st)
{
	size_t	 i;

	for (i = 0; i < st->st_npanels; i++)
		panel_stop(st->st_panels[i]);
}
