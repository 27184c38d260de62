/*
 * state — the local cache of one stack, and the lock that serialises runs.
 *
 * The cache is a JSON file (cJSON) at $XDG_STATE_HOME/craftctl/<stack>.json
 * (default ~/.local/state/craftctl/<stack>.json). It only caches: resource
 * ids by "kind/name", the pinned SSH host key, and whether craftctl made the
 * key pair. AWS (found by tags) is the truth; a missing or unreadable cache
 * costs a discovery round, nothing else. Writes are atomic (temporary file
 * in the same directory, fsync, rename, fsync of the directory), mode 0600.
 *
 * The lock is flock(2) on <stack>.lock beside the cache. The holder writes
 * its pid, command and start time into the file so a second run can say
 * who holds it (CRAFT_ELOCKED: exit 3). The kernel drops the lock when the
 * holder dies, so a SIGKILLed run never leaves a stale lock behind.
 *
 * Ownership: craft_state_load's result belongs to the caller
 * (craft_state_free); strings returned by getters are borrowed until the
 * next change.
 */
#ifndef CRAFT_STATE_H
#define CRAFT_STATE_H

#include "core/error.h"

struct craft_state;
struct craft_state_lock;

/* The directory of caches and locks ($XDG_STATE_HOME/craftctl). Caller frees. */
craft_code craft_state_dir(char **out, struct craft_err *err);

/* Takes the stack's lock or fails with CRAFT_ELOCKED naming the holder.
 * what: the command, recorded for the message of a second run. */
craft_code craft_state_lock(struct craft_state_lock **out, const char *stack, const char *what,
                            struct craft_err *err);
void craft_state_unlock(struct craft_state_lock *lock);

/* Reads the cache; a missing file gives an empty state. A corrupt file also
 * gives an empty state and sets *discarded (may be NULL) to 1. */
craft_code craft_state_load(struct craft_state **out, const char *stack, int *discarded,
                            struct craft_err *err);
craft_code craft_state_save(struct craft_state *st, struct craft_err *err);
/* Removes the cache file (after destroy). Missing is fine. */
craft_code craft_state_remove(struct craft_state *st, struct craft_err *err);
void craft_state_free(struct craft_state *st);

const char *craft_state_stack(const struct craft_state *st);

/* Resource ids by kind and logical name. id NULL removes. */
const char *craft_state_get_id(const struct craft_state *st, const char *kind, const char *name);
craft_code craft_state_set_id(struct craft_state *st, const char *kind, const char *name,
                              const char *id);
/* Forgets every resource id (keeps the host key). */
void craft_state_clear_ids(struct craft_state *st);

/* Generic string values ("host_key", "host_key_instance", "region", ...). */
const char *craft_state_get(const struct craft_state *st, const char *key);
craft_code craft_state_set(struct craft_state *st, const char *key, const char *value);

#endif
