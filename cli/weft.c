/*
 * The `weft` command: dispatches to the subcommand table.  Each subcommand is
 * one file (cmd-<name>.c) exporting a `struct cmd_entry`; adding a command is
 * adding a file and a line below.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "weft/weft.h"

#define CLI_COMMAND_LIST(X) X(record) X(attach) X(import) X(report) X(chain) X(query) X(tui) X(doctor)

#define X(name) extern const struct cmd_entry cmd_##name##_entry;
CLI_COMMAND_LIST(X)
#undef X

const struct cmd_entry *const cli_commands[] = {
#define X(name) &cmd_##name##_entry,
	CLI_COMMAND_LIST(X)
#undef X
	NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: weft [--version] [--help] COMMAND [ARGS]\n\n"
		   "weft traces async execution flows in C programs (LTTng-UST) and finds\n"
		   "deadlocks, starvation, silent failures and ignored cancellations.\n\n"
		   "Commands:\n");
	for (const struct cmd_entry *const *e = cli_commands; *e; e++)
		fprintf(f, "  %-8s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nRun 'weft COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	const struct cmd_entry *e;

	if (argc < 2) {
		/* `weft` alone browses ./weft.db when there is one */
		if (access("weft.db", F_OK) == 0)
			return cmd_tui_entry.exec(1, (char *[]){ "tui", NULL });
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("weft %d.%d\n", WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		e = cli_find(argv[2]);
		if (!e) {
			cli_error(NULL, "Cannot show help: no such command: command=%s", argv[2]);
			return EXIT_USAGE;
		}
		cli_print_help(e);
		return EXIT_OK;
	}
	e = cli_find(argv[1]);
	if (!e) {
		cli_error(NULL, "Cannot run: no such command: command=%s (see 'weft --help')",
			  argv[1]);
		return EXIT_USAGE;
	}
	if (cli_wants_help(argc - 1, argv + 1)) {
		cli_print_help(e);
		return EXIT_OK;
	}
	return e->exec(argc - 1, argv + 1);
}
