/*
 * signer.c: signing answers off the event loop. Each answer needs a
 * SHA-256 of its body and an Ed25519 signature (bench/sign: 33 us for a
 * lookup, 2.8 ms for a 4.5 MB listing); done on the loop, every other
 * client waits behind it. A signer is a few threads that take jobs from a
 * queue and put them, done, on another; the loop learns of finished jobs
 * through a pipe (signer_fd()) and collects them with signer_done().
 *
 * Only the loop's thread calls the functions below, except the workers'
 * own; a job is owned by the signer from signer_submit() until
 * signer_done() hands it back. The work itself, signer_work(), is the
 * same whether a worker or the loop (with no threads) does it.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

TAILQ_HEAD(signer_jobs, signer_job);

struct signer {
	pthread_t		 sg_threads[SIGNER_THREADS_MAX];
	int			 sg_nthreads;
	pthread_mutex_t		 sg_lock;
	pthread_cond_t		 sg_work;	/* a job queued, or stopping */
	pthread_cond_t		 sg_idle;	/* a job finished */
	struct signer_jobs	 sg_queue;	/* to sign */
	struct signer_jobs	 sg_done;	/* signed, not collected */
	size_t			 sg_inflight;	/* taken by a thread, not done */
	int			 sg_stop;
	int			 sg_pipe[2];	/* a byte: sg_done became non-empty */
};

/* sign.c's field accessor over a job. */
static const char *
signer_field(void *arg, const char *name)
{
	struct signer_job	*j = arg;

	if (strcmp(name, "content-type") == 0)
		return j->sj_ctype;
	if (strcmp(name, "content-digest") == 0)
		return j->sj_digest;
	if (strcmp(name, "sightline-inventory") == 0)
		return j->sj_source;
	return NULL;
}

/*
 * Sign job j: its body's Content-Digest (an answer to HEAD has no body,
 * so the digest of nothing), then the signature. Sets sj_rc to 0, or to
 * -1 with sj_err. Touches nothing but j.
 */
void
signer_work(struct signer_job *j)
{
	struct sign_msg	 rq, rs;

	sign_content_digest(j->sj_head ? "" : j->sj_body,
	    j->sj_head ? 0 : j->sj_len, j->sj_digest);
	memset(&rq, 0, sizeof(rq));
	rq.sm_method = j->sj_method;
	rq.sm_path = j->sj_path;
	rq.sm_query = j->sj_query;
	memset(&rs, 0, sizeof(rs));
	rs.sm_status = j->sj_status;
	rs.sm_field = signer_field;
	rs.sm_arg = j;
	j->sj_rc = sign_response(j->sj_keys, &rs, &rq, j->sj_created,
	    j->sj_input, j->sj_sig, j->sj_err);
}

static void *
signer_main(void *arg)
{
	struct signer		*sg = arg;
	struct signer_job	*j;
	int			 wake;
	char			 c = 1;

	pthread_mutex_lock(&sg->sg_lock);
	for (;;) {
		while (TAILQ_EMPTY(&sg->sg_queue) && !sg->sg_stop)
			pthread_cond_wait(&sg->sg_work, &sg->sg_lock);
		if ((j = TAILQ_FIRST(&sg->sg_queue)) == NULL)
			break;		/* stopping, and nothing left */
		TAILQ_REMOVE(&sg->sg_queue, j, sj_entry);
		sg->sg_inflight++;
		pthread_mutex_unlock(&sg->sg_lock);

		signer_work(j);

		pthread_mutex_lock(&sg->sg_lock);
		sg->sg_inflight--;
		/* One byte per batch: the loop collects all that are done. */
		wake = TAILQ_EMPTY(&sg->sg_done);
		TAILQ_INSERT_TAIL(&sg->sg_done, j, sj_entry);
		pthread_cond_broadcast(&sg->sg_idle);
		if (wake)
			while (write(sg->sg_pipe[1], &c, 1) == -1 &&
			    errno == EINTR)
				;
	}
	pthread_mutex_unlock(&sg->sg_lock);
	return NULL;
}

/*
 * A signer of nthreads threads (1 to SIGNER_THREADS_MAX). Returns it, or
 * NULL with a reason. Free with signer_free().
 */
struct signer *
signer_new(int nthreads, char *err)
{
	struct signer	*sg;
	int		 i;

	if (nthreads < 1 || nthreads > SIGNER_THREADS_MAX) {
		err_set(err, "%d signing threads: 1 to %d", nthreads,
		    SIGNER_THREADS_MAX);
		return NULL;
	}
	if ((sg = calloc(1, sizeof(*sg))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&sg->sg_queue);
	TAILQ_INIT(&sg->sg_done);
	if (pipe(sg->sg_pipe) == -1) {
		err_set(err, "pipe: %s", strerror(errno));
		free(sg);
		return NULL;
	}
	fcntl(sg->sg_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(sg->sg_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(sg->sg_pipe[1], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&sg->sg_lock, NULL);
	pthread_cond_init(&sg->sg_work, NULL);
	pthread_cond_init(&sg->sg_idle, NULL);
	for (i = 0; i < nthreads; i++) {
		if ((errno = pthread_create(&sg->sg_threads[i], NULL,
		    signer_main, sg)) != 0) {
			err_set(err, "pthread_create: %s", strerror(errno));
			signer_free(sg);
			return NULL;
		}
		sg->sg_nthreads++;
	}
	return sg;
}

/* The descriptor that becomes readable when jobs are done. */
int
signer_fd(const struct signer *sg)
{
	return sg->sg_pipe[0];
}

/* Queue j; the signer owns it until signer_done() returns it. */
void
signer_submit(struct signer *sg, struct signer_job *j)
{
	pthread_mutex_lock(&sg->sg_lock);
	TAILQ_INSERT_TAIL(&sg->sg_queue, j, sj_entry);
	pthread_cond_signal(&sg->sg_work);
	pthread_mutex_unlock(&sg->sg_lock);
}

/*
 * The next signed job, handed back to the caller, or NULL when none is
 * done. Empties the pipe once the done queue is empty, so a byte there
 * always means work to collect.
 */
struct signer_job *
signer_done(struct signer *sg)
{
	struct signer_job	*j;
	char			 buf[64];

	pthread_mutex_lock(&sg->sg_lock);
	if ((j = TAILQ_FIRST(&sg->sg_done)) != NULL)
		TAILQ_REMOVE(&sg->sg_done, j, sj_entry);
	else
		while (read(sg->sg_pipe[0], buf, sizeof(buf)) > 0)
			;
	pthread_mutex_unlock(&sg->sg_lock);
	return j;
}

/* Wait until every submitted job is signed (signer_done() collects them). */
void
signer_wait(struct signer *sg)
{
	pthread_mutex_lock(&sg->sg_lock);
	while (!TAILQ_EMPTY(&sg->sg_queue) || sg->sg_inflight > 0)
		pthread_cond_wait(&sg->sg_idle, &sg->sg_lock);
	pthread_mutex_unlock(&sg->sg_lock);
}

/*
 * Stop the threads once the queue is empty and free the signer. Jobs not
 * collected with signer_done() are the caller's to have collected first.
 */
void
signer_free(struct signer *sg)
{
	int	 i;

	if (sg == NULL)
		return;
	pthread_mutex_lock(&sg->sg_lock);
	sg->sg_stop = 1;
	pthread_cond_broadcast(&sg->sg_work);
	pthread_mutex_unlock(&sg->sg_lock);
	for (i = 0; i < sg->sg_nthreads; i++)
		pthread_join(sg->sg_threads[i], NULL);
	pthread_cond_destroy(&sg->sg_work);
	pthread_cond_destroy(&sg->sg_idle);
	pthread_mutex_destroy(&sg->sg_lock);
	close(sg->sg_pipe[0]);
	close(sg->sg_pipe[1]);
	free(sg);
}
