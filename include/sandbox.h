/*
 * A Lua 5.4 state built from an allow-list, with a memory cap and an
 * instruction budget per call.  Everything tocsin runs in Lua goes through
 * sandbox_load (a file, text only) or sandbox_pcall (a function already on
 * the stack).  sandbox_view shares one table between calls.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <lua.h>
#include <stddef.h>

struct sandbox_limits {
	size_t		memory;		/* bytes the whole state may hold */
	long		instructions;	/* per load or call */
};

struct sandbox;

struct sandbox	*sandbox_new(const struct sandbox_limits *);
void		 sandbox_free(struct sandbox *);
void		 sandbox_set_limits(struct sandbox *,
		     const struct sandbox_limits *);
lua_State	*sandbox_state(struct sandbox *);
int		 sandbox_load_file(struct sandbox *, const char *, char **);
void		 sandbox_keep_sources(struct sandbox *, int);
const char	*sandbox_source(const struct sandbox *, const char *, size_t *);
int		 sandbox_pcall(struct sandbox *, int, int, char **);
void		 sandbox_view(lua_State *, int);

#endif
