/* The merchant's users (the admins table, its one writer): the people who log in to the merchant
 * dashboard, each with a role. owner: everything, the team and the merchant's API keys included;
 * admin: everything but those; viewer: reads only. An invited user has no password until it
 * accepts its one-time invite. The last owner can be neither removed nor demoted, so an
 * installation always keeps someone who can manage it. Each write runs inside the caller's
 * transaction; memory comes from the caller's arena. */
#ifndef PD_APP_USERS_H
#define PD_APP_USERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

struct user {
    const char *id, *email, *name, *role;
    bool invited; /* no password yet */
    int64_t created_at, updated_at;
};

/* "owner", "admin" or "viewer". */
bool user_role_valid(const char *role);

/* 0 found, 1 not found (err: PD_ERR_NOT_FOUND naming "id"), -1 store error. */
int user_load(struct store *s, const char *id, struct arena *a, struct user *out,
              struct pd_err *err);
json_t *user_to_json(const struct user *u);
/* The JSON array of every user, oldest first (a team is small: at most USER_MAX). */
#define USER_MAX 200
json_t *user_list_json(struct store *s, struct arena *a, struct pd_err *err);

/* A new user. email is stored lower-cased. password_hash: the login, or NULL for an invited user
 * with invite_hash (its one-time invite). STORE_CONSTRAINT (err: 409 on "email") when a user
 * already has the email; 422 beyond USER_MAX users. */
int user_insert(struct store *s, const struct user *u, const char *password_hash,
                const char *invite_hash, struct pd_err *err);
/* Changes role and/or name (NULL: unchanged). Demoting the last owner is 422 on "role". */
int user_update(struct store *s, const char *id, const char *role, const char *name, int64_t now,
                struct pd_err *err);
/* Removes the user. Removing the last owner is 422 on "id". */
int user_delete(struct store *s, const char *id, struct pd_err *err);
/* A new one-time invite for a user who has not chosen a password yet. */
int user_set_invite(struct store *s, const char *id, const char *invite_hash, struct pd_err *err);
/* One-time: only the user still holding invite_hash takes the password and loses the invite.
 * *changed: 1 when it did, 0 when the invite is no longer there. */
int user_accept_invite(struct store *s, const char *id, const char *invite_hash,
                       const char *password_hash, int64_t now, int64_t *changed,
                       struct pd_err *err);

#endif
