/*
 * Process helpers for the CLI tests; see proc.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_env(char *const env[])
{
	for (; env && *env; env++)
		putenv(*env);
}

pid_t proc_spawn(char *const argv[], char *const env[], int *out_fd, const char *err_path)
{
	int fds[2] = { -1, -1 };
	pid_t pid;

	if (out_fd && pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (out_fd)
			dup2(fds[1], 1);
		if (err_path) {
			int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (e >= 0)
				dup2(e, 2);
		}
		setpgid(0, 0);
		child_env(env);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out_fd) {
		close(fds[1]);
		*out_fd = fds[0];
	}
	return pid;
}

static void slurp_into(int fd, char **buf, size_t *len, size_t *cap)
{
	char tmp[4096];
	ssize_t n;

	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		if (*len + (size_t)n + 1 > *cap) {
			*cap = (*len + (size_t)n + 1) * 2;
			*buf = realloc(*buf, *cap);
		}
		memcpy(*buf + *len, tmp, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
}

int proc_run(char *const argv[], char *const env[], int timeout_s, struct run_result *r)
{
	int ofd[2], efd[2];
	size_t olen = 0, ocap = 1, elen = 0, ecap = 1;
	int64_t t0 = now_ms(), deadline = t0 + (int64_t)timeout_s * 1000;
	pid_t pid;
	int done = 0;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	if (pipe2(ofd, O_CLOEXEC) || pipe2(efd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(ofd[1], 1);
		dup2(efd[1], 2);
		setpgid(0, 0);
		child_env(env);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(ofd[1]);
	close(efd[1]);
	fcntl(ofd[0], F_SETFL, O_NONBLOCK);
	fcntl(efd[0], F_SETFL, O_NONBLOCK);
	while (!done) {
		struct pollfd p[2] = { { ofd[0], POLLIN, 0 }, { efd[0], POLLIN, 0 } };
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			r->status = -1;
			break;
		}
		poll(p, 2, left > 100 ? 100 : (int)left);
		slurp_into(ofd[0], &r->out, &olen, &ocap);
		slurp_into(efd[0], &r->err, &elen, &ecap);
		if (waitpid(pid, &r->status, WNOHANG) == pid) {
			slurp_into(ofd[0], &r->out, &olen, &ocap);
			slurp_into(efd[0], &r->err, &elen, &ecap);
			done = 1;
		}
	}
	close(ofd[0]);
	close(efd[0]);
	r->ms = now_ms() - t0;
	return 0;
}

void proc_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int proc_exit_code(const struct run_result *r)
{
	if (r->status == -1)
		return -2000;
	if (WIFSIGNALED(r->status))
		return -1000 - WTERMSIG(r->status);
	return WEXITSTATUS(r->status);
}

int proc_read_until(int fd, const char *needle, int timeout_ms, char *buf, size_t cap)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = strlen(buf);

	while (!strstr(buf, needle)) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t n;
		if (left <= 0 || len + 1 >= cap)
			return -1;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return 0;
}

int proc_wait(pid_t pid, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int status;

	while (now_ms() < deadline) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

pid_t proc_child_of(pid_t pid)
{
	char path[64];
	long child = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &child) != 1)
		child = 0;
	fclose(f);
	return (pid_t)child;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

int count_matching(const char *s, const char *needle)
{
	size_t nlen = strlen(needle);
	int n = 0;

	/* Search each line on its own: a strstr over the rest of a large
	 * buffer for every line would be quadratic. */
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		n += memmem(s, len, needle, nlen) != NULL;
		s += len + (e != NULL);
	}
	return n;
}
