/*
 * ctf-index — what a trace directory holds, from LTTng's CTF packet indexes,
 * without decoding an event.
 *
 * LTTng (the consumer daemon, or the relay daemon for a streamed session)
 * writes next to every stream file `<trace>/<stream>` an index
 * `<trace>/index/<stream>.idx`: a header and one big-endian entry per packet
 * with the packet's offset and size, its begin and end timestamps, the
 * stream's cumulative discarded-events counter, the stream class and
 * instance ids and (index 1.1, LTTng >= 2.8) the packet sequence number.
 * Together with each trace's UUID and clock (from its metadata) these give,
 * per stream, the stretch of packets the directory holds: its identity in
 * the store (store_chunk_identify) and its exact loss (store_add_streams).
 *
 * The stream files themselves are not read, only their sizes: an index that
 * lists a packet past the end of its stream file is refused (a truncated
 * copy), as babeltrace2 would refuse it.
 */
#ifndef WEFT_DAEMON_CTF_INDEX_H
#define WEFT_DAEMON_CTF_INDEX_H

#include <stddef.h>

#include "store.h" /* struct store_stream */

struct ctf_index {
	struct store_stream *v; /* every stream with at least one packet; names owned */
	size_t n, cap;
	unsigned traces;        /* trace directories (with a metadata file) */
	/* 1 when every non-empty stream file of every trace has a usable index
	 * (1.1, with sequence numbers) and every trace a UUID: only then do
	 * v[] describe the directory's whole content. */
	int complete;
	char why_incomplete[256]; /* the first reason complete is 0 */
};

/*
 * Reads the indexes of every trace under dir into *ix (which the caller
 * zeroes before and frees with ctf_index_free, also on failure).  Returns 0,
 * or -EBADMSG with "Cannot decode trace: <reason>: path=<file>" in err when
 * an index or a metadata file is corrupt, -ENOMEM.  A directory with no
 * trace, or that does not exist, is not an error here (n == 0, complete 0):
 * the decoder says what is wrong with it.
 */
int ctf_index_read(const char *dir, struct ctf_index *ix, char *err, size_t errlen);
void ctf_index_free(struct ctf_index *ix);

#endif
