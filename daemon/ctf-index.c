/*
 * ctf-index.c — reads LTTng's CTF packet indexes (see ctf-index.h).
 *
 * Formats, as LTTng writes them (lttng-tools' src/common/index/ctf-index.h
 * describes the index; the CTF 1.8 specification the metadata):
 *
 *  - index file: header { u32 magic 0xC1F1DCC1, u32 major, u32 minor,
 *    u32 entry length }, then one entry per packet { u64 offset (bytes),
 *    packet_size (bits), content_size (bits), timestamp_begin,
 *    timestamp_end, events_discarded, stream_id; since 1.1:
 *    stream_instance_id, packet_seq_num }, all big-endian.  Entries may be
 *    longer than we know (a later minor): the entry length says.
 *  - metadata: TSDL text, plain or packetized; a metadata packet is a
 *    37-byte header { u32 magic 0x75D11D57 (in the tracer's byte order),
 *    u8 uuid[16], u32 checksum, u32 content_size (bits), u32 packet_size
 *    (bits), u8 compression, encryption, checksum scheme, major, minor }
 *    followed by text.  We need the trace block's `uuid` and the clock's
 *    `freq`, `offset_s` and `offset` (index timestamps are clock cycles).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctf-index.h"

#define INDEX_MAGIC 0xC1F1DCC1u
#define INDEX_HEADER_LEN 16
#define INDEX_ENTRY_1_1_LEN 72 /* 9 u64 */
#define META_MAGIC 0x75D11D57u
#define META_HEADER_LEN 37
#define META_MAX (64u << 20)
#define MAX_DEPTH 16
#define NS_PER_S 1000000000ull

struct clock {
	uint64_t freq;
	int64_t offset_s;
	int64_t offset; /* cycles */
};

struct walk {
	struct ctf_index *ix;
	char *err;
	size_t errlen;
};

static int index_fail(struct walk *w, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int index_fail(struct walk *w, const char *path, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (w->err && w->errlen)
		snprintf(w->err, w->errlen, "Cannot decode trace: %s: path=%s", reason, path);
	return -EBADMSG;
}

/* Marks the index as not describing the whole directory: "<reason> <what>". */
static void incomplete(struct ctf_index *ix, const char *reason, const char *what)
{
	if (ix->complete || !ix->why_incomplete[0])
		snprintf(ix->why_incomplete, sizeof ix->why_incomplete, "%.60s%s%.180s", reason,
			 what[0] ? " " : "", what);
	ix->complete = 0;
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Reads a whole file of at most `max` bytes; NUL-terminated.  0 or -errno. */
static int slurp(const char *path, size_t max, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	unsigned char *buf = NULL;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &sb) != 0) {
		rc = -errno;
		goto out;
	}
	if ((uint64_t)sb.st_size > max) {
		rc = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		rc = -EIO;
		goto out;
	}
	buf[sb.st_size] = '\0';
	*out = buf;
	*len = (size_t)sb.st_size;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Packetized metadata to plain text, in place (text is never longer).
 * Returns the text length, or -1 if the packets are malformed. */
static long depacketize(unsigned char *buf, size_t len)
{
	size_t off = 0, out = 0;

	while (off + META_HEADER_LEN <= len) {
		uint32_t (*rd)(const unsigned char *) = le32(buf + off) == META_MAGIC ? le32
							: be32(buf + off) == META_MAGIC ? be32
							: NULL;
		uint64_t content, packet;

		if (!rd)
			return -1;
		content = rd(buf + off + 24) / 8;
		packet = rd(buf + off + 28) / 8;
		if (content < META_HEADER_LEN || packet < content || off + content > len)
			return -1;
		memmove(buf + out, buf + off + META_HEADER_LEN, content - META_HEADER_LEN);
		out += content - META_HEADER_LEN;
		off += packet;
	}
	buf[out] = '\0';
	return (long)out;
}

/* The block `<keyword> {` ... `};` of TSDL text: [*b, *e), or 0 if none. */
static int tsdl_block(const char *text, const char *keyword, const char **b, const char **e)
{
	size_t kl = strlen(keyword);

	for (const char *p = text; (p = strstr(p, keyword)) != NULL; p += kl) {
		const char *q = p + kl;

		if (p > text && (p[-1] == '_' || p[-1] == '.' ||
				 (p[-1] >= 'a' && p[-1] <= 'z')))
			continue;
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		if (*q != '{')
			continue;
		*b = q + 1;
		*e = strstr(*b, "};");
		if (!*e)
			*e = *b + strlen(*b);
		return 1;
	}
	return 0;
}

/* The value after `key =` at nesting depth 0 of [b, e), or NULL. */
static const char *tsdl_value(const char *b, const char *e, const char *key)
{
	size_t kl = strlen(key);
	int depth = 0;

	for (const char *p = b; p + kl < e; p++) {
		const char *q;

		if (*p == '{')
			depth++;
		else if (*p == '}')
			depth--;
		if (depth || strncmp(p, key, kl) != 0)
			continue;
		if (p > b && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
			continue;
		q = p + kl;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		return q < e ? q : NULL;
	}
	return NULL;
}

static int parse_metadata(struct walk *w, const char *path, char uuid[40], struct clock *ck)
{
	unsigned char *buf = NULL;
	const char *b, *e, *v;
	size_t len;
	long tl;
	int rc;

	uuid[0] = '\0';
	ck->freq = NS_PER_S;
	ck->offset_s = 0;
	ck->offset = 0;
	rc = slurp(path, META_MAX, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return index_fail(w, path, "cannot read the metadata: %s", strerror(-rc));
	if (len >= 4 && (le32(buf) == META_MAGIC || be32(buf) == META_MAGIC)) {
		tl = depacketize(buf, len);
		if (tl < 0) {
			free(buf);
			return index_fail(w, path, "malformed metadata packet");
		}
	}
	if (tsdl_block((const char *)buf, "trace", &b, &e) &&
	    (v = tsdl_value(b, e, "uuid")) != NULL && *v == '"') {
		size_t n = strcspn(v + 1, "\"");

		if (n == 36)
			snprintf(uuid, 40, "%.36s", v + 1);
	}
	if (tsdl_block((const char *)buf, "clock", &b, &e)) {
		if ((v = tsdl_value(b, e, "freq")) != NULL)
			ck->freq = strtoull(v, NULL, 0);
		if ((v = tsdl_value(b, e, "offset_s")) != NULL)
			ck->offset_s = strtoll(v, NULL, 0);
		if ((v = tsdl_value(b, e, "offset")) != NULL)
			ck->offset = strtoll(v, NULL, 0);
	}
	free(buf);
	if (ck->freq == 0)
		return index_fail(w, path, "the clock's frequency is 0");
	return 0;
}

/* Clock cycles to ns since the epoch. */
static int64_t to_ns(const struct clock *ck, uint64_t cycles)
{
	uint64_t v = cycles + (uint64_t)ck->offset, ns;

	if (ck->freq == NS_PER_S)
		ns = v;
	else
		ns = v / ck->freq * NS_PER_S + v % ck->freq * NS_PER_S / ck->freq;
	return (int64_t)(ns + (uint64_t)ck->offset_s * NS_PER_S);
}

static int push(struct ctf_index *ix, struct store_stream **out)
{
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 16;
		struct store_stream *v = realloc(ix->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ix->v = v;
		ix->cap = cap;
	}
	*out = &ix->v[ix->n];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* One stream file `file` (relative name `rel`) of a trace, its index at
 * `idx`. */
static int read_stream(struct walk *w, const char *file, const char *rel, const char *idx,
		       const char *uuid, const struct clock *ck)
{
	struct ctf_index *ix = w->ix;
	unsigned char *buf = NULL;
	struct store_stream *s;
	struct stat sb;
	size_t len, n, elen;
	uint64_t prev_seq = 0, prev_disc = 0;
	int64_t prev_end = 0;
	int rc;

	if (stat(file, &sb) != 0)
		return 0; /* vanished: the decoder will say */
	rc = slurp(idx, SIZE_MAX / 2, &buf, &len);
	if (rc == -ENOENT) {
		if (sb.st_size > 0)
			incomplete(ix, "no CTF index for stream", rel);
		return 0;
	}
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return index_fail(w, idx, "cannot read the CTF index: %s", strerror(-rc));
	if (len < INDEX_HEADER_LEN || be32(buf) != INDEX_MAGIC) {
		rc = index_fail(w, idx, "not a CTF index (bad magic)");
		goto out;
	}
	elen = be32(buf + 12);
	if (be32(buf + 4) != 1 || be32(buf + 8) < 1 || elen < INDEX_ENTRY_1_1_LEN) {
		incomplete(ix, "CTF index 1.0 (no sequence numbers) for stream", rel);
		goto out;
	}
	if ((len - INDEX_HEADER_LEN) % elen != 0) {
		rc = index_fail(w, idx, "truncated CTF index: %zu bytes of entries of %zu",
				len - INDEX_HEADER_LEN, elen);
		goto out;
	}
	n = (len - INDEX_HEADER_LEN) / elen;
	if (n == 0)
		goto out;
	rc = push(ix, &s);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *e = buf + INDEX_HEADER_LEN + i * elen;
		uint64_t off = be64(e), psize = be64(e + 8) / 8, tb = be64(e + 24),
			 te = be64(e + 32), disc = be64(e + 40), sid = be64(e + 48),
			 inst = be64(e + 56), seq = be64(e + 64);

		if (off > (uint64_t)sb.st_size || psize > (uint64_t)sb.st_size - off) {
			rc = index_fail(w, file, "the CTF index lists a packet past the end of "
						 "the stream file (truncated?): packet=%zu "
						 "offset=%llu size=%llu file_size=%lld",
					i, (unsigned long long)off, (unsigned long long)psize,
					(long long)sb.st_size);
			goto out;
		}
		if (i == 0) {
			snprintf(s->uuid, sizeof s->uuid, "%s", uuid);
			s->stream_class = sid;
			s->instance = inst;
			s->first_seq = seq;
			s->discarded_first = disc;
			s->begin_ns = to_ns(ck, tb);
			s->first_end_ns = to_ns(ck, te);
		} else {
			if (seq <= prev_seq || sid != s->stream_class || inst != s->instance) {
				rc = index_fail(w, idx, "CTF index entries out of order: packet=%zu",
						i);
				goto out;
			}
			s->lost_inside += seq - prev_seq - 1;
			if (disc != prev_disc) {
				if (!s->discards_begin_ns)
					s->discards_begin_ns = prev_end;
				s->discards_end_ns = to_ns(ck, te);
			}
		}
		prev_seq = seq;
		prev_disc = disc;
		prev_end = to_ns(ck, te);
	}
	s->last_seq = prev_seq;
	s->discarded_last = prev_disc;
	s->end_ns = prev_end;
	s->packets = n;
	s->name = strdup(rel);
	if (!s->name) {
		rc = -ENOMEM;
		goto out;
	}
	ix->n++;
out:
	free(buf);
	return rc;
}

static int join(char *buf, size_t len, const char *a, const char *b)
{
	int n = a[0] ? snprintf(buf, len, "%s/%s", a, b) : snprintf(buf, len, "%s", b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A trace directory: its metadata, then each stream file. */
static int read_trace(struct walk *w, const char *path, const char *rel)
{
	char meta[4096], file[4096], frel[4096], idx[4096], uuid[40];
	struct clock ck;
	struct dirent **names = NULL;
	int n, rc;

	if (join(meta, sizeof meta, path, "metadata"))
		return 0;
	rc = parse_metadata(w, meta, uuid, &ck);
	if (rc)
		return rc;
	w->ix->traces++;
	if (!uuid[0])
		incomplete(w->ix, "no UUID in the metadata of trace", rel[0] ? rel : ".");
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		struct stat sb;

		if (rc == 0 && d[0] != '.' && strcmp(d, "metadata") != 0 &&
		    join(file, sizeof file, path, d) == 0 && lstat(file, &sb) == 0 &&
		    S_ISREG(sb.st_mode) && join(frel, sizeof frel, rel, d) == 0 &&
		    snprintf(idx, sizeof idx, "%s/index/%s.idx", path, d) < (int)sizeof idx)
			rc = uuid[0] ? read_stream(w, file, frel, idx, uuid, &ck) : 0;
		free(names[i]);
	}
	free(names);
	return rc;
}

static int walk_dir(struct walk *w, const char *path, const char *rel, int depth)
{
	char sub[4096], srel[4096];
	struct dirent **names = NULL;
	struct stat sb;
	int n, rc = 0;

	if (depth > MAX_DEPTH)
		return 0;
	if (join(sub, sizeof sub, path, "metadata") == 0 && stat(sub, &sb) == 0 &&
	    S_ISREG(sb.st_mode))
		return read_trace(w, path, rel);
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (rc == 0 && d[0] != '.' && join(sub, sizeof sub, path, d) == 0 &&
		    lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    join(srel, sizeof srel, rel, d) == 0)
			rc = walk_dir(w, sub, srel, depth + 1);
		free(names[i]);
	}
	free(names);
	return rc;
}

int ctf_index_read(const char *dir, struct ctf_index *ix, char *err, size_t errlen)
{
	struct walk w = { ix, err, errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	ix->complete = 1;
	ix->why_incomplete[0] = '\0';
	rc = walk_dir(&w, dir, "", 0);
	if (rc == -ENOMEM && err && errlen)
		snprintf(err, errlen, "Cannot read CTF index: out of memory: path=%s", dir);
	if (ix->traces == 0)
		incomplete(ix, "no trace", "");
	return rc;
}

void ctf_index_free(struct ctf_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free((char *)ix->v[i].name);
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}
