/*
 * `weft record --tui` and `weft attach --tui`: the recording in a child
 * process, the terminal browser (tui/) in this one, following the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"
#include "view.h"

/* --tui: the recording goes on in a child process, its output and the
 * traced command's written to a log that is shown after the browser
 * closes; this process browses the store as it fills.  Quitting the browser
 * while CMD runs interrupts the recording as Ctrl-C does.  Returns -1 in the
 * child (which records), else the exit status of the recording. */
int cli_record_tui(const char *cmd, const char *out)
{
	char logpath[] = "/tmp/weft-record-tui.XXXXXX", err[1024] = "", buf[4096];
	int fd = mkstemp(logpath), status = 0, rc;
	bool exited = false;
	ssize_t n;
	pid_t pid;

	if (fd < 0) {
		cli_error(cmd, "Cannot record: cannot create the log: %s: path=%s",
			  strerror(errno), logpath);
		return EXIT_RECORD_FAILED;
	}
	unlink(logpath);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		cli_error(cmd, "Cannot record: fork: %s", strerror(errno));
		close(fd);
		return EXIT_RECORD_FAILED;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			close(nul);
		}
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		return -1;
	}
	/* the browser opens once the store has its schema */
	for (int i = 0; i < 300; i++) {
		struct store *st = NULL;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			break;
		}
		if (access(out, F_OK) == 0 &&
		    store_open(out, STORE_READONLY, &st, NULL, 0) == 0) {
			store_close(st);
			break;
		}
		usleep(100000);
	}
	rc = 0;
	if (access(out, F_OK) == 0)
		rc = tui_main(out, NULL, err, sizeof err);
	if (!exited) {
		kill(pid, SIGINT);
		waitpid(pid, &status, 0);
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		while ((n = read(fd, buf, sizeof buf)) > 0)
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				break;
	close(fd);
	if (rc != 0 && err[0])
		cli_error(cmd, "%s", err);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_RECORD_FAILED;
}

