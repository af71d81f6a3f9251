/*
 * handles.h — the open file descriptions of lock files.
 *
 * The kernel gives every open a file handle and tells the daemon when its
 * last copy is closed (RELEASE).  A lock bound to an open file (flock, OFD
 * and record locks, opens in a "bound" directory) lives as long as that
 * description, so the daemon keeps one struct handle per description: what
 * its open took, which bound holds it carries, and which key it is open on.
 * A name with a handle open on it is shown even while its lock is free
 * (flock(1) opens before it locks), so the handles also count, per key, how
 * many descriptions are open.
 */
#ifndef LOCKFS_HANDLES_H
#define LOCKFS_HANDLES_H

#include <stdbool.h>
#include <stdint.h>

#include "hmap.h"
#include "store.h"

/* The bound holds a description carries (bits). */
enum handle_hold {
	HOLD_FLOCK = 1,  /* flock(2) on it */
	HOLD_OPEN = 2,   /* its open, in a "bound" directory */
	HOLD_RECORD = 4, /* fcntl/lockf/OFD locks taken through it (owners below) */
};

struct handle {
	struct handles *registry;
	bool counted; /* counted for its key: the kernel has it */
	uint64_t id;  /* unique in this daemon: the owner of its open's bound hold */
	char *key;    /* the lock file it is open on */
	bool appends; /* O_APPEND */
	bool acquired;      /* its open took the lock (an "acquire" directory) */
	int64_t generation; /* ...that acquisition's generation */
	unsigned holds;     /* enum handle_hold bits */
	uint64_t flock_owner; /* the kernel's lock owner of this description, once seen */
	bool flock_shared;    /* its flock hold is LOCK_SH */
	uint64_t *record_owners; /* lock owners of record locks taken through it */
	size_t record_count, record_cap;
	bool records_counted; /* counted in its key's descriptions with record locks */
	struct handle *next_closed; /* in the registry's closed list (below) */
	bool warned; /* ...and the log said its holds wait for the store */
};

struct open_name;

struct handles {
	struct hmap names; /* struct open_name: open descriptions per key */
	uint64_t next_id;
	struct handle *closed; /* closed descriptions whose holds are still to give up, */
	struct handle *closed_tail; /* ...oldest first */
};

void handles_init(struct handles *h);
void handles_destroy(struct handles *h);

/* A new handle for an open of key.  NULL when out of memory. */
struct handle *handles_open(struct handles *h, const char *key);

/* The kernel has the handle now: it counts for its key (the name is shown). */
void handles_opened(struct handle *handle);

/* The description's last close: uncounted and freed. */
void handles_close(struct handles *h, struct handle *handle);

/*
 * The description's last close came, but the holds it carries could not
 * all be given up yet: it is kept, still counted for its key, at the end
 * of the closed list until handles_close.  handles_destroy frees what is
 * left.  handles_requeue_closed moves the first one to the end.
 */
void handles_keep_closed(struct handles *h, struct handle *handle);
void handles_requeue_closed(struct handles *h);

/*
 * Does a closed description still on the closed list carry a hold of key
 * for owner: a flock one (binding STORE_BOUND_FLOCK) or a record lock?
 */
bool handles_closed_owner(const struct handles *h, const char *key, enum store_binding binding,
			  uint64_t owner);

/* Number of descriptions open on key. */
unsigned handles_open_on(const struct handles *h, const char *key);

/* Call fn for every key with an open description.  A non-zero return stops and is returned. */
int handles_for_each_name(const struct handles *h, int (*fn)(void *ctx, const char *key),
			  void *ctx);

/*
 * The description now carries a bound hold it was granted: a flock one
 * (with its mode), or a record lock whose owner it remembers for its last
 * close.  0, or -ENOMEM (the record lock is then released only when this
 * daemon stops).
 */
int handles_carry(struct handles *h, struct handle *handle, enum store_binding binding,
		  bool shared, uint64_t owner);

/* Are record locks taken through a description open on key (so a close must look)? */
bool handles_record_holds_on(const struct handles *h, const char *key);

#endif
