/*
 * metrics.c: counters for /metrics, in the Prometheus text format. They
 * live for the whole process, across reloads; per-panel series are keyed
 * by panel name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sightline.h"

#define METRICS_PANELS_MAX	64
#define METRICS_STATUS_MIN	100
#define METRICS_STATUS_MAX	599

static const double metrics_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};
#define METRICS_NBUCKETS	(sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

struct metrics_panel {
	char		 mp_name[PANEL_NAME_MAX + 1];
	uint64_t	 mp_up_count;
	uint64_t	 mp_up_bucket[METRICS_NBUCKETS];
	double		 mp_up_sum;
	uint64_t	 mp_up_errors[UPSTREAM_NOMEM + 1];
	uint64_t	 mp_refresh_ok, mp_refresh_failed;
	double		 mp_refresh_seconds;	/* the last one */
	uint64_t	 mp_records;
	uint64_t	 mp_policy_errors;
};

static uint64_t		 metrics_status[METRICS_STATUS_MAX + 1];
static uint64_t		 metrics_conns, metrics_conn_limit_hits;
static uint64_t		 metrics_lag_bucket[METRICS_NBUCKETS];
static uint64_t		 metrics_lag_count;
static double		 metrics_lag_sum;
static struct metrics_panel metrics_panels[METRICS_PANELS_MAX];
static size_t		 metrics_npanels;
static uint64_t		 metrics_snap_ok, metrics_snap_failed;
static double		 metrics_snap_seconds;	/* the last one's work */
static uint64_t		 metrics_snap_seq;
static int64_t		 metrics_snap_time;	/* 0: none yet */
static json_t		*metrics_check;	/* the current snapshot's
					   cross-check counts, or NULL */

static const char *const metrics_errnames[] = {
	[UPSTREAM_OK] = "ok", [UPSTREAM_CONNECT] = "connect",
	[UPSTREAM_TLS] = "tls", [UPSTREAM_TIMEOUT] = "timeout",
	[UPSTREAM_TOOBIG] = "too_big", [UPSTREAM_TRUNCATED] = "truncated",
	[UPSTREAM_NOANSWER] = "no_answer", [UPSTREAM_PROTOCOL] = "protocol",
	[UPSTREAM_NOMEM] = "no_memory",
};

static struct metrics_panel *
metrics_panel(const char *name)
{
	size_t	 i;

	for (i = 0; i < metrics_npanels; i++)
		if (strcmp(metrics_panels[i].mp_name, name) == 0)
			return &metrics_panels[i];
	if (metrics_npanels == METRICS_PANELS_MAX)
		return NULL;	/* more panels than series: not counted */
	strlcpy(metrics_panels[metrics_npanels].mp_name, name,
	    sizeof(metrics_panels[0].mp_name));
	return &metrics_panels[metrics_npanels++];
}

void
metrics_request(int status)
{
	if (status >= METRICS_STATUS_MIN && status <= METRICS_STATUS_MAX)
		metrics_status[status]++;
}

void
metrics_upstream(const char *panel, int status, enum upstream_error e,
    double seconds)
{
	struct metrics_panel	*mp;
	size_t			 i;

	if ((mp = metrics_panel(panel)) == NULL)
		return;
	mp->mp_up_errors[e]++;
	if (e != UPSTREAM_OK)
		return;
	mp->mp_up_count++;
	mp->mp_up_sum += seconds;
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= metrics_buckets[i])
			mp->mp_up_bucket[i]++;
}

void
metrics_refresh(const char *panel, int ok, double seconds, size_t records)
{
	struct metrics_panel	*mp;

	if ((mp = metrics_panel(panel)) == NULL)
		return;
	if (ok) {
		mp->mp_refresh_ok++;
		mp->mp_records = records;
	} else
		mp->mp_refresh_failed++;
	mp->mp_refresh_seconds = seconds;
}

void
metrics_policy_error(const char *panel)
{
	struct metrics_panel	*mp;

	if ((mp = metrics_panel(panel)) != NULL)
		mp->mp_policy_errors++;
}

/*
 * A snapshot was taken (ok 1: seq at time, in seconds of work), failed
 * (ok 0), or read back from the store at start (ok -1).
 */
void
metrics_snapshot(int ok, double seconds, uint64_t seq, int64_t time)
{
	if (ok == 0) {
		metrics_snap_failed++;
		return;
	}
	if (ok == 1) {
		metrics_snap_ok++;
		metrics_snap_seconds = seconds;
	}
	metrics_snap_seq = seq;
	metrics_snap_time = time;
}

/*
 * The cross-check counts of the snapshot served now (the summary's
 * "crosscheck", borrowed), or NULL when it has none.
 */
void
metrics_crosscheck(const json_t *counts)
{
	json_decref(metrics_check);
	metrics_check = counts != NULL ? json_deep_copy(counts) : NULL;
}

/*
 * How late the event loop ran a timer: the time during which no hoster
 * request could be served (a refresh building a large inventory, say).
 */
void
metrics_loop_lag(double seconds)
{
	size_t	 i;

	metrics_lag_count++;
	metrics_lag_sum += seconds;
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= metrics_buckets[i])
			metrics_lag_bucket[i]++;
}

/* +1 when a connection opens, -1 when it closes; 0 counts a limit hit. */
void
metrics_connection(int delta)
{
	if (delta == 0)
		metrics_conn_limit_hits++;
	else
		metrics_conns += (uint64_t)(int64_t)delta;
}

void
metrics_reset(void)
{
	memset(metrics_status, 0, sizeof(metrics_status));
	memset(metrics_panels, 0, sizeof(metrics_panels));
	metrics_npanels = 0;
	metrics_conns = metrics_conn_limit_hits = 0;
	memset(metrics_lag_bucket, 0, sizeof(metrics_lag_bucket));
	metrics_lag_count = 0;
	metrics_lag_sum = 0;
	metrics_snap_ok = metrics_snap_failed = 0;
	metrics_snap_seconds = 0;
	metrics_snap_seq = 0;
	metrics_snap_time = 0;
	metrics_crosscheck(NULL);
}

static void
metrics_head(struct buf *o, const char *name, const char *type,
    const char *help)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* The cross-check's gauges: nodes, domains, findings by kind. */
static void
metrics_render_check(struct buf *o)
{
	const char	*k;
	json_t		*v;

	if (metrics_check == NULL)
		return;
	metrics_head(o, "sightline_crosscheck_nodes", "gauge",
	    "Hypervisors the snapshot served now was checked against.");
	buf_printf(o, "sightline_crosscheck_nodes %lld\n", (long long)
	    json_integer_value(json_object_get(metrics_check, "nodes")));
	metrics_head(o, "sightline_crosscheck_domains", "gauge",
	    "Domains those hypervisors listed.");
	buf_printf(o, "sightline_crosscheck_domains %lld\n", (long long)
	    json_integer_value(json_object_get(metrics_check, "domains")));
	metrics_head(o, "sightline_crosscheck_findings", "gauge",
	    "Findings of the hypervisor cross-check of the snapshot served "
	    "now, by kind.");
	json_object_foreach(metrics_check, k, v) {
		if (strcmp(k, "nodes") == 0 || strcmp(k, "domains") == 0 ||
		    !json_is_integer(v))
			continue;
		buf_printf(o, "sightline_crosscheck_findings{kind=\"%s\"} "
		    "%lld\n", k, (long long)json_integer_value(v));
	}
}

/*
 * The whole page. panels gives the live inventory ages. Returns a new
 * NUL-terminated buffer (caller frees) and its length, or NULL.
 */
char *
metrics_render(const struct panel *const *panels, size_t npanels, size_t *len)
{
	struct buf		 o;
	struct metrics_panel	*mp;
	time_t			 now = time(NULL);
	size_t			 i, b;
	int			 s;

	buf_init(&o);
	metrics_head(&o, "sightline_requests_total", "counter",
	    "Hoster requests answered, by HTTP status.");
	for (s = METRICS_STATUS_MIN; s <= METRICS_STATUS_MAX; s++)
		if (metrics_status[s] > 0)
			buf_printf(&o, "sightline_requests_total{status="
			    "\"%d\"} %llu\n", s,
			    (unsigned long long)metrics_status[s]);
	metrics_head(&o, "sightline_connections", "gauge",
	    "Hoster connections open now.");
	buf_printf(&o, "sightline_connections %llu\n",
	    (unsigned long long)metrics_conns);
	metrics_head(&o, "sightline_connection_limit_hits_total", "counter",
	    "Times max_connections was reached and accepting paused.");
	buf_printf(&o, "sightline_connection_limit_hits_total %llu\n",
	    (unsigned long long)metrics_conn_limit_hits);

	metrics_head(&o, "sightline_event_loop_lag_seconds", "histogram",
	    "How late the event loop ran its probe timer: time no request "
	    "was served.");
	for (b = 0; b < METRICS_NBUCKETS; b++)
		buf_printf(&o, "sightline_event_loop_lag_seconds_bucket{le="
		    "\"%g\"} %llu\n", metrics_buckets[b],
		    (unsigned long long)metrics_lag_bucket[b]);
	buf_printf(&o, "sightline_event_loop_lag_seconds_bucket{le=\"+Inf\"} "
	    "%llu\n", (unsigned long long)metrics_lag_count);
	buf_printf(&o, "sightline_event_loop_lag_seconds_sum %.6f\n",
	    metrics_lag_sum);
	buf_printf(&o, "sightline_event_loop_lag_seconds_count %llu\n",
	    (unsigned long long)metrics_lag_count);

	metrics_head(&o, "sightline_upstream_request_duration_seconds",
	    "histogram", "Panel API calls that got an answer, by panel.");
	for (i = 0; i < metrics_npanels; i++) {
		mp = &metrics_panels[i];
		for (b = 0; b < METRICS_NBUCKETS; b++)
			buf_printf(&o, "sightline_upstream_request_duration_"
			    "seconds_bucket{panel=\"%s\",le=\"%g\"} %llu\n",
			    mp->mp_name, metrics_buckets[b],
			    (unsigned long long)mp->mp_up_bucket[b]);
		buf_printf(&o, "sightline_upstream_request_duration_seconds"
		    "_bucket{panel=\"%s\",le=\"+Inf\"} %llu\n", mp->mp_name,
		    (unsigned long long)mp->mp_up_count);
		buf_printf(&o, "sightline_upstream_request_duration_seconds"
		    "_sum{panel=\"%s\"} %.6f\n", mp->mp_name, mp->mp_up_sum);
		buf_printf(&o, "sightline_upstream_request_duration_seconds"
		    "_count{panel=\"%s\"} %llu\n", mp->mp_name,
		    (unsigned long long)mp->mp_up_count);
	}
	metrics_head(&o, "sightline_upstream_failures_total", "counter",
	    "Panel API calls without a usable answer, by panel and cause.");
	for (i = 0; i < metrics_npanels; i++)
		for (b = UPSTREAM_CONNECT; b <= UPSTREAM_NOMEM; b++)
			if (metrics_panels[i].mp_up_errors[b] > 0)
				buf_printf(&o, "sightline_upstream_failures_"
				    "total{panel=\"%s\",cause=\"%s\"} %llu\n",
				    metrics_panels[i].mp_name,
				    metrics_errnames[b], (unsigned long long)
				    metrics_panels[i].mp_up_errors[b]);
	metrics_head(&o, "sightline_refresh_total", "counter",
	    "Inventory refreshes, by panel and result.");
	for (i = 0; i < metrics_npanels; i++) {
		mp = &metrics_panels[i];
		buf_printf(&o, "sightline_refresh_total{panel=\"%s\","
		    "result=\"ok\"} %llu\n", mp->mp_name,
		    (unsigned long long)mp->mp_refresh_ok);
		buf_printf(&o, "sightline_refresh_total{panel=\"%s\","
		    "result=\"failed\"} %llu\n", mp->mp_name,
		    (unsigned long long)mp->mp_refresh_failed);
	}
	metrics_head(&o, "sightline_refresh_duration_seconds", "gauge",
	    "How long the last inventory refresh took, by panel.");
	for (i = 0; i < metrics_npanels; i++)
		buf_printf(&o, "sightline_refresh_duration_seconds{panel="
		    "\"%s\"} %.6f\n", metrics_panels[i].mp_name,
		    metrics_panels[i].mp_refresh_seconds);
	metrics_head(&o, "sightline_records", "gauge",
	    "VPS records in the current inventory, by panel.");
	for (i = 0; i < metrics_npanels; i++)
		buf_printf(&o, "sightline_records{panel=\"%s\"} %llu\n",
		    metrics_panels[i].mp_name,
		    (unsigned long long)metrics_panels[i].mp_records);
	metrics_head(&o, "sightline_policy_errors_total", "counter",
	    "Policy failures (the answer or refresh was refused), by panel.");
	for (i = 0; i < metrics_npanels; i++)
		buf_printf(&o, "sightline_policy_errors_total{panel=\"%s\"} "
		    "%llu\n", metrics_panels[i].mp_name,
		    (unsigned long long)metrics_panels[i].mp_policy_errors);
	metrics_head(&o, "sightline_inventory_age_seconds", "gauge",
	    "Age of the inventory served now, by panel (absent: none yet).");
	for (i = 0; i < npanels; i++)
		if (panels[i]->pa_inv != NULL)
			buf_printf(&o, "sightline_inventory_age_seconds{panel="
			    "\"%s\"} %lld\n", panels[i]->pa_conf->pc_name,
			    (long long)(now - panels[i]->pa_inv->inv_time));

	metrics_head(&o, "sightline_snapshots_total", "counter",
	    "Snapshots appended to the log, and attempts that failed.");
	buf_printf(&o, "sightline_snapshots_total{result=\"ok\"} %llu\n",
	    (unsigned long long)metrics_snap_ok);
	buf_printf(&o, "sightline_snapshots_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_snap_failed);
	if (metrics_snap_time != 0) {
		metrics_head(&o, "sightline_snapshot_seq", "gauge",
		    "Sequence number of the snapshot served now.");
		buf_printf(&o, "sightline_snapshot_seq %llu\n",
		    (unsigned long long)metrics_snap_seq);
		metrics_head(&o, "sightline_snapshot_age_seconds", "gauge",
		    "Age of the snapshot served now.");
		buf_printf(&o, "sightline_snapshot_age_seconds %lld\n",
		    (long long)(now - metrics_snap_time));
		metrics_head(&o, "sightline_snapshot_duration_seconds", "gauge",
		    "Work of the last snapshot: collect, hash, tree, sign, "
		    "commit.");
		buf_printf(&o, "sightline_snapshot_duration_seconds %.6f\n",
		    metrics_snap_seconds);
	}
	metrics_render_check(&o);
	return buf_take(&o, len);
}
