/*
 * The `weft` command: one table entry per subcommand (cmd-<name>.c), the
 * dispatcher in weft.c walks the table for help and for running.  Shared
 * helpers for argument parsing and error reporting live in util.c.
 *
 * Error style: every failure prints one line to stderr,
 *   weft <cmd>: Cannot <what>: <reason>: key=value
 * and the command returns a non-zero exit code (EXIT_USAGE for bad arguments).
 */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h" /* parse_duration, parse_uint */

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* the command ran and failed (or found what --fail-on asks) */
	EXIT_USAGE = 2, /* bad arguments */
	/* weft record: the recording itself failed (otherwise it exits with
	 * the traced command's own status) */
	EXIT_RECORD_FAILED = 125,
};

struct cmd_entry {
	const char *name;
	const char *usage;   /* argument synopsis after "weft NAME" */
	const char *summary; /* one line for `weft --help` */
	const char *help;    /* the rest of `weft NAME --help`: description, options */
	int (*exec)(int argc, char **argv); /* argv[0] is the command name */
};

/* The table (weft.c), NULL terminated. */
extern const struct cmd_entry *const cli_commands[];

/* Prints "weft CMD: " + the formatted message + newline to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the usage/help of one command to stdout. */
void cli_print_help(const struct cmd_entry *e);
/* True if argv has -h or --help before a "--". */
bool cli_wants_help(int argc, char **argv);
const struct cmd_entry *cli_find(const char *name);


/* --tui of record and attach: forks; the child returns -1 and records (its
 * stdout/stderr to a log, stdin /dev/null); the parent browses `out` with
 * the TUI as it fills, interrupts the child (SIGINT) when the browser
 * closes, prints the log and returns the child's exit status. */
int cli_record_tui(const char *cmd, const char *out);

/* Removes a directory tree (no symlinks followed); 0 or -errno. */
int cli_rm_rf(const char *path);
/* snprintf for paths: 0, or -ENAMETOOLONG when the result did not fit. */
int cli_pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Removes a store file with its -wal and -shm companions. */
void cli_remove_store(const char *path);

#endif
