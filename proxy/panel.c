/*
 * panel.c: one configured panel at run time: its policy, its upstream,
 * its current inventory and the refresh that replaces it. Refreshes run
 * when a snapshot is due (snapshot.c) and when a hoster asks (?fresh=1);
 * whoever wants a fresh inventory waits for the refresh in flight instead
 * of starting another one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sightline.h"

#define PANEL_BUILD_SLICE	500	/* records redacted per turn of the loop */

struct panel_waiter {
	TAILQ_ENTRY(panel_waiter) pw_entry;
	panel_refreshed_fn	 pw_cb;
	void			*pw_arg;
};

static void	panel_build(evutil_socket_t, short, void *);

/*
 * A new panel from its configuration (borrowed: it must outlive the
 * panel). Loads the policy and prepares the upstream; nothing is fetched
 * until panel_start(). Returns NULL with a reason.
 */
struct panel *
panel_new(struct event_base *base, struct conf_panel *pc, struct conf *cf,
    char *err)
{
	struct panel	*pa;
	char		*header = NULL, *query = NULL;
	char		 root[PATH_MAX];

	if ((pa = calloc(1, sizeof(*pa))) == NULL) {
		err_set(err, "%s: out of memory", pc->pc_name);
		return NULL;
	}
	TAILQ_INIT(&pa->pa_waiters);
	pa->pa_conf = pc;
	pa->pa_plugin = pc->pc_plugin;
	pa->pa_base = base;
	pa->pa_policy = policy_load(pc->pc_policy, pc->pc_plugin,
	    cf->cf_policy_memory, cf->cf_policy_instructions, err);
	if (pa->pa_policy == NULL)
		goto fail;
	pa->pa_policy->po_keys = cf->cf_keys;
	if (pc->pc_plugin->pl_auth(pc->pc_secret, &header, &query, err) == -1)
		goto fail;
	snprintf(root, sizeof(root), "%s%s", pc->pc_url,
	    pc->pc_plugin->pl_api_root);
	pa->pa_upstream = upstream_new(base, pc->pc_name, pc, root, header,
	    query, err);
	if (header != NULL) {
		crypto_wipe(header, strlen(header));
		free(header);
	}
	if (query != NULL) {
		crypto_wipe(query, strlen(query));
		free(query);
	}
	if (pa->pa_upstream == NULL)
		goto fail;
	if ((pa->pa_build_ev = evtimer_new(base, panel_build, pa)) == NULL) {
		err_set(err, "%s: out of memory", pc->pc_name);
		goto fail;
	}
	return pa;
fail:
	err_prefix(err, "panel %s: ", pc->pc_name);
	panel_free(pa);
	return NULL;
}

/*
 * Free a panel. A refresh in flight is abandoned; its waiters are called
 * so that no request waits forever.
 */
void
panel_free(struct panel *pa)
{
	if (pa == NULL)
		return;
	pa->pa_stopped = 1;
	inventory_builder_free(pa->pa_build);
	if (pa->pa_build_ev != NULL)
		event_free(pa->pa_build_ev);
	if (pa->pa_fetch != NULL) {
		fetch_free(pa->pa_fetch);
		pa->pa_fetch = NULL;
		strlcpy(pa->pa_last_error, "the refresh was abandoned",
		    sizeof(pa->pa_last_error));
	}
	panel_wake(pa);
	upstream_free(pa->pa_upstream);
	policy_free(pa->pa_policy);
	inventory_unref(pa->pa_inv);
	free(pa);
}

/* No more refreshes: this panel belongs to a configuration being replaced. */
void
panel_stop(struct panel *pa)
{
	pa->pa_stopped = 1;
}

/*
 * Call and forget every waiter. A waiter may drop the last reference to
 * the state that holds pa (a reload happened meanwhile), freeing pa: the
 * list is taken off pa first, and pa is not touched once a waiter ran.
 */
void
panel_wake(struct panel *pa)
{
	TAILQ_HEAD(, panel_waiter) waiters;
	struct panel_waiter	*w;

	TAILQ_INIT(&waiters);
	TAILQ_CONCAT(&waiters, &pa->pa_waiters, pw_entry);
	while ((w = TAILQ_FIRST(&waiters)) != NULL) {
		TAILQ_REMOVE(&waiters, w, pw_entry);
		w->pw_cb(w->pw_arg);
		free(w);
	}
}

/*
 * The refresh in flight is over: inv is the new inventory (stolen), or
 * NULL and pa_last_error says why not.
 */
static void
panel_refreshed(struct panel *pa, struct inventory *inv)
{
	struct fetch	*f = pa->pa_fetch;
	const char	*name = pa->pa_conf->pc_name;
	double		 secs;

	pa->pa_fetch = NULL;
	pa->pa_last_end = mono_now();
	secs = pa->pa_last_end - pa->pa_last_start;
	if (inv != NULL) {
		inv->inv_seconds = secs;
		inv->inv_requests = fetch_requests(f);
		inventory_unref(pa->pa_inv);
		pa->pa_inv = inv;
		pa->pa_last_error[0] = '\0';
		pa->pa_last_status = 0;
		log_info("%s: inventory of %zu VPSes on %zu nodes in %.2f s "
		    "(%zu calls)", name, inv->inv_nrecs,
		    json_array_size(inv->inv_nodes), secs, inv->inv_requests);
		metrics_refresh(name, 1, secs, inv->inv_nrecs);
	} else {
		log_warnx("%s: %s", name, pa->pa_last_error);
		metrics_refresh(name, 0, secs, 0);
	}
	fetch_free(f);
	panel_wake(pa);
}

/* The policy failed on the new records: err goes to the log only. */
static void
panel_policy_failed(struct panel *pa, const char *err)
{
	/* It may quote a value the policy was about to drop (a hook's). */
	log_warnx("%s: policy %s failed: %s", pa->pa_conf->pc_name,
	    pa->pa_policy->po_path, err);
	strlcpy(pa->pa_last_error, "the policy failed on the inventory; the "
	    "reason is in sightlined's log", sizeof(pa->pa_last_error));
	pa->pa_last_status = 500;
	metrics_policy_error(pa->pa_conf->pc_name);
}

/*
 * The next slice runs from a timer due at once, not event_active():
 * libevent runs events activated while it runs active events in the
 * same turn, which would build everything before any request is read.
 */
static void
panel_build_next(struct panel *pa)
{
	static const struct timeval	 now = { 0, 0 };

	evtimer_add(pa->pa_build_ev, &now);
}

/* A slice of the new inventory, then back to the loop until done. */
static void
panel_build(evutil_socket_t fd, short what, void *arg)
{
	struct panel		*pa = arg;
	struct inventory	*inv = NULL;
	char			 err[ERR_MAX];
	int			 rc;

	if ((rc = inventory_step(pa->pa_build, PANEL_BUILD_SLICE, err)) == 0) {
		panel_build_next(pa);
		return;
	}
	if (rc == 1)
		inv = inventory_builder_take(pa->pa_build);
	else
		panel_policy_failed(pa, err);
	inventory_builder_free(pa->pa_build);
	pa->pa_build = NULL;
	panel_refreshed(pa, inv);
}

/*
 * The panel's answers are in: build the inventory from them, a slice
 * per turn of the event loop. The refresh stays in flight (pa_fetch)
 * until the inventory is complete.
 */
static void
panel_fetched(struct fetch *f, void *arg)
{
	struct panel	*pa = arg;
	const char	*why;
	char		 err[ERR_MAX];

	if ((why = fetch_error(f)) != NULL) {
		snprintf(pa->pa_last_error, sizeof(pa->pa_last_error),
		    "refresh failed: %s", why);
		pa->pa_last_status = fetch_failure_status(f);
		panel_refreshed(pa, NULL);
		return;
	}
	pa->pa_build = inventory_builder_new(pa->pa_conf->pc_name,
	    fetch_take_records(f), fetch_take_nodes(f), pa->pa_policy, err);
	if (pa->pa_build == NULL) {
		panel_policy_failed(pa, err);
		panel_refreshed(pa, NULL);
		return;
	}
	panel_build_next(pa);
}

/* Start a refresh unless one is in flight. Returns 0, or -1 (error set). */
static int
panel_begin(struct panel *pa)
{
	struct conf_panel	*pc = pa->pa_conf;

	if (pa->pa_fetch != NULL)
		return 0;
	pa->pa_last_start = mono_now();
	pa->pa_fetch = fetch_new(pa->pa_plugin, pc->pc_name, pc->pc_options,
	    pc->pc_max_records, panel_fetched, pa);
	if (pa->pa_fetch == NULL) {
		strlcpy(pa->pa_last_error, "refresh failed: out of memory",
		    sizeof(pa->pa_last_error));
		pa->pa_last_status = 500;
		return -1;
	}
	if (fetch_start_live(pa->pa_fetch, pa->pa_upstream) == -1) {
		snprintf(pa->pa_last_error, sizeof(pa->pa_last_error),
		    "refresh failed: %s", fetch_error(pa->pa_fetch));
		pa->pa_last_status = 500;
		fetch_free(pa->pa_fetch);
		pa->pa_fetch = NULL;
		return -1;
	}
	return 0;
}

/*
 * Make sure the inventory is fresh. Returns 1 when cb(arg) will be called
 * once the refresh in flight (joined or started) is over, or 0 when there
 * is nothing to wait for: a refresh could not start (pa_last_error says
 * why, as it does when the last one failed), or, unless force is set (a
 * snapshot is due), the last refresh started less than
 * min_refresh_interval ago. The interval holds whatever the last
 * refresh's outcome: a failing panel is not asked again at each hoster
 * request.
 */
int
panel_refresh(struct panel *pa, int force, panel_refreshed_fn cb, void *arg)
{
	struct panel_waiter	*w;

	if (!force && pa->pa_fetch == NULL && pa->pa_last_start > 0 &&
	    mono_now() - pa->pa_last_start < pa->pa_conf->pc_min_refresh)
		return 0;
	if (pa->pa_stopped || panel_begin(pa) == -1)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return 0;
	w->pw_cb = cb;
	w->pw_arg = arg;
	TAILQ_INSERT_TAIL(&pa->pa_waiters, w, pw_entry);
	return 1;
}

/* Forget the waiter registered with arg, if any (its request went away). */
void
panel_unwait(struct panel *pa, void *arg)
{
	struct panel_waiter	*w, *next;

	for (w = TAILQ_FIRST(&pa->pa_waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, pw_entry);
		if (w->pw_arg == arg) {
			TAILQ_REMOVE(&pa->pa_waiters, w, pw_entry);
			free(w);
		}
	}
}

/*
 * Carry old's inventory over to pa (a reload): same plugin and URL mean
 * the same panel, so its records are redacted again with pa's policy
 * instead of waiting for a refresh. Returns 0 (also when there is nothing
 * to carry), or -1 with a reason: the new policy fails on the records.
 */
int
panel_adopt(struct panel *pa, const struct panel *old, char *err)
{
	struct inventory	*inv;
	json_t			*recs, *nodes, *rec;
	size_t			 i;

	if (old->pa_inv == NULL || old->pa_plugin != pa->pa_plugin ||
	    strcmp(old->pa_conf->pc_url, pa->pa_conf->pc_url) != 0)
		return 0;
	if ((recs = json_array()) == NULL ||
	    (nodes = json_copy(old->pa_inv->inv_nodes_raw)) == NULL) {
		json_decref(recs);
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < old->pa_inv->inv_nrecs; i++) {
		rec = json_loads(old->pa_inv->inv_recs[i].ir_raw, 0, NULL);
		if (rec == NULL || json_array_append_new(recs, rec) == -1) {
			json_decref(recs);
			json_decref(nodes);
			err_set(err, "out of memory");
			return -1;
		}
	}
	inv = inventory_build(pa->pa_conf->pc_name, recs, nodes, pa->pa_policy,
	    err);
	if (inv == NULL) {
		err_prefix(err, "policy %s on the current records: ",
		    pa->pa_policy->po_path);
		return -1;
	}
	inv->inv_time = old->pa_inv->inv_time;
	inv->inv_seconds = old->pa_inv->inv_seconds;
	inv->inv_requests = old->pa_inv->inv_requests;
	pa->pa_inv = inv;
	pa->pa_last_start = old->pa_last_start;
	pa->pa_last_end = old->pa_last_end;
	return 0;
}
