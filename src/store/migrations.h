/* The schema migrations compiled into the binary (cmake/embed_migrations.cmake turns each
 * src/store/migrations/NNN_name.sql into pd_migrations). store_migrate applies those not yet
 * applied, by name, in name order. */
#ifndef PD_STORE_MIGRATIONS_H
#define PD_STORE_MIGRATIONS_H

struct migration {
    const char *name; /* file name without .sql: "001_init" */
    const char *sql;
};

/* Generated at build time from src/store/migrations/\*.sql, sorted by name. */
extern const struct migration pd_migrations[];
extern const int pd_migrations_count;

#endif
