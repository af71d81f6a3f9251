/*
 * store_checkpoint.c — copying the WAL back into the database, off the
 * request path.
 *
 * A checkpoint costs little but its first fsync: with synchronous=NORMAL
 * nothing syncs the WAL between checkpoints, so the fsync writes every
 * frame appended since the last one to the disk (about 40 MB after
 * CHECKPOINT_PAGES frames, 55–65 ms on the machines lockfs is measured
 * on).  SQLite's autocheckpoint runs it inside the COMMIT that crosses the
 * mark, so one request in about a thousand lock pairs stalled that long.
 *
 * lockfs's connection therefore never runs that checkpoint itself.  Its
 * WAL hook (which replaces SQLite's autocheckpoint) wakes a thread with a
 * connection of its own once the WAL holds CHECKPOINT_PAGES frames; the
 * thread runs passive checkpoints, each one shorter than the last since
 * only the frames appended meanwhile are left to sync, until at most
 * CATCH_UP_PAGES are left behind.  The next commit then checkpoints those
 * few itself, cheaply: SQLite starts the WAL again from its beginning only
 * when a write transaction begins with every frame copied back, and under
 * steady load only the writer can arrange that.  Past BACKSTOP_PAGES (the
 * thread cannot keep up, or a reader keeps old frames alive) and when the
 * thread cannot run at all, the commit checkpoints as SQLite's
 * autocheckpoint would.
 *
 * The thread starts with the first checkpoint needed, sleeps on a condition
 * variable in between (an idle daemon does not wake for it), and stops with
 * the store.  Its connection is used by it alone.
 */
#include "store_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define CATCH_UP_PAGES 256			 /* left behind for the committing connection */
#define BACKSTOP_PAGES (4 * CHECKPOINT_PAGES)	 /* past this the commit checkpoints itself */
#define PASSES_AT_MOST 8			 /* passes of the thread per wake-up */

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	char *path; /* the database, for the thread's connection */
	/* Under lock: */
	bool started;	/* the thread was created (and must be joined) */
	bool failed;	/* the thread could not start or open: commits checkpoint */
	bool asked;	/* a commit wants passes run */
	bool running;	/* the thread is running passes */
	bool caught_up; /* its last passes left at most CATCH_UP_PAGES behind (atomic: read unlocked) */
	bool stop;
};

/* Open the thread's connection and read once, so that it knows the database is in WAL mode. */
static sqlite3 *open_connection(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    store_exec(db, "PRAGMA schema_version") < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void *checkpointer_main(void *arg)
{
	struct checkpointer *ck = arg;
	sqlite3 *db = open_connection(ck->path);

	pthread_mutex_lock(&ck->lock);
	ck->failed = db == NULL;
	while (db && !ck->stop) {
		int rc = SQLITE_OK, frames = -1, copied = -1;
		unsigned passes = 0;

		if (!ck->asked) {
			pthread_cond_wait(&ck->wake, &ck->lock);
			continue;
		}
		ck->asked = false;
		ck->running = true;
		pthread_mutex_unlock(&ck->lock);
		do {
			rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
			passes++;
		} while (rc == SQLITE_OK && frames - copied > CATCH_UP_PAGES && passes < PASSES_AT_MOST);
		pthread_mutex_lock(&ck->lock);
		ck->running = false;
		__atomic_store_n(&ck->caught_up,
				 rc == SQLITE_OK && frames >= 0 && frames - copied <= CATCH_UP_PAGES,
				 __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&ck->lock);
	sqlite3_close(db);
	return NULL;
}

/*
 * Under ck->lock: wake the thread (starting it the first time) unless it is
 * running passes already.  False when it cannot run.
 */
static bool ask_thread(struct checkpointer *ck)
{
	if (!ck->started && !ck->failed) {
		sigset_t all, old;
		int rc;

		/* Signals are for the thread that serves requests (fs/main.c). */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rc = pthread_create(&ck->thread, NULL, checkpointer_main, ck);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc != 0) {
			ck->failed = true;
			return false;
		}
		pthread_setname_np(ck->thread, "lockfs-wal");
		ck->started = true;
	}
	if (ck->failed)
		return false;
	if (!ck->running && !ck->asked) {
		ck->asked = true;
		pthread_cond_signal(&ck->wake);
	}
	return true;
}

/* SQLite's WAL hook on lockfs's connection: after each COMMIT, with the frames in the WAL. */
static int on_commit(void *ctx, sqlite3 *db, const char *schema, int frames)
{
	struct checkpointer *ck = ctx;
	bool here;

	if (frames < CHECKPOINT_PAGES) {
		/* The WAL started again (another process checkpointed): passes done are old news. */
		if (__atomic_load_n(&ck->caught_up, __ATOMIC_RELAXED)) {
			pthread_mutex_lock(&ck->lock);
			__atomic_store_n(&ck->caught_up, false, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&ck->lock);
		}
		return SQLITE_OK;
	}
	pthread_mutex_lock(&ck->lock);
	here = frames >= BACKSTOP_PAGES || __atomic_load_n(&ck->caught_up, __ATOMIC_RELAXED) ||
	       !ask_thread(ck);
	__atomic_store_n(&ck->caught_up, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ck->lock);
	if (here)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK; /* a checkpoint that could not run is tried again at the next commit */
}

int store_checkpointer_attach(struct sqlite_store *st)
{
	struct checkpointer *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return -ENOMEM;
	ck->path = strdup(st->path);
	if (!ck->path) {
		free(ck);
		return -ENOMEM;
	}
	pthread_mutex_init(&ck->lock, NULL);
	pthread_cond_init(&ck->wake, NULL);
	st->checkpointer = ck;
	sqlite3_wal_hook(st->db, on_commit, ck);
	return 0;
}

void store_checkpointer_detach(struct sqlite_store *st)
{
	struct checkpointer *ck = st->checkpointer;

	if (!ck)
		return;
	sqlite3_wal_hook(st->db, NULL, NULL);
	pthread_mutex_lock(&ck->lock);
	ck->stop = true;
	pthread_cond_signal(&ck->wake);
	pthread_mutex_unlock(&ck->lock);
	if (ck->started)
		pthread_join(ck->thread, NULL);
	pthread_cond_destroy(&ck->wake);
	pthread_mutex_destroy(&ck->lock);
	free(ck->path);
	free(ck);
	st->checkpointer = NULL;
}
