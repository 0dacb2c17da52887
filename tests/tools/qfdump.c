/*
 * qfdump - print the record stream pfqmon's parser decodes from a queue
 * file, in the format of "postcat -v -o" (Postfix 3.7), so the golden
 * tests can diff it against postcat's own dump.
 *
 * usage: qfdump [--maildrop] LABEL FILE
 *
 * LABEL is the path postcat printed in its segment markers. Times are
 * printed in UTC, as the samples were taken. Exit 1 if the file is not a
 * valid queue file (after printing what was decoded up to that point).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qfile.h"
#include "rec_type.h"

struct ctx {
	const char *label;
};

/* when - postcat's asctime() rendering of an epoch, in UTC */
static void
when(char *out, size_t cap, const unsigned char *p, size_t len)
{
	char	num[32];
	time_t	t;
	struct tm tm;

	if (len >= sizeof(num))
		len = sizeof(num) - 1;
	memcpy(num, p, len);
	num[len] = '\0';
	t = (time_t)strtoll(num, NULL, 10);
	gmtime_r(&t, &tm);
	strftime(out, cap, "%a %b %e %H:%M:%S %Y", &tm);
}

/* name_of - postcat's name for a record type in a segment */
static const char *
name_of(int type, int seg)
{
	switch (type) {
	case 'C': return "message_size";
	case 'T': return "message_arrival_time";
	case 'F': return "sender_fullname";
	case 'I': return "content_inspector";
	case 'L': return seg == QF_SEG_CONTENT ? "unterminated_text" :
		    "content_filter";
	case 'S': return "sender";
	case 'D': return "done_recipient";
	case 'R': return "recipient";
	case 'O': return "original_recipient";
	case '/': return "canceled_recipient";
	case 'W': return "warning_message_time";
	case 'A': return "named_attribute";
	case 'K': return "killed_record";
	case '>': return "redirect_to";
	case 'N': return "regular_text";
	case 'w': return "padding";
	case 'r': return "return_receipt";
	case 'e': return "errors_to";
	case 'P': return "priority";
	case 'p': return "pointer_record";
	case 'V': return "verp_delimiters";
	case '<': return "dsn_return_flags";
	case 'i': return "dsn_envelope_id";
	case 'o': return "dsn_original_recipient";
	case 'n': return "dsn_notify_flags";
	default: return "unknown_record_type";
	}
}

/* show - print one record as postcat does */
static void
show(void *vctx, uint64_t off, int type, const unsigned char *p,
    size_t shown, size_t full, int seg)
{
	const struct ctx *c = vctx;
	char	date[64];
	const char *ctime_attr = "create_time=";
	size_t	clen = strlen(ctime_attr);

	(void)full;
	switch (type) {
	case 'M':
		printf("%9llu *** MESSAGE CONTENTS %s ***\n",
		    (unsigned long long)off, c->label);
		return;
	case 'X':
		printf("%9llu *** HEADER EXTRACTED %s ***\n",
		    (unsigned long long)off, c->label);
		return;
	case 'E':
		printf("%9llu *** MESSAGE FILE END %s ***\n",
		    (unsigned long long)off, c->label);
		return;
	case 'T':
	case 'W':
		when(date, sizeof(date), p, shown);
		printf("%9llu %s: %s\n", (unsigned long long)off,
		    name_of(type, seg), date);
		return;
	case 'A':
		if (shown > clen && memcmp(p, ctime_attr, clen) == 0) {
			when(date, sizeof(date), p + clen, shown - clen);
			printf("%9llu create_time: %s\n",
			    (unsigned long long)off, date);
			return;
		}
		break;
	}
	printf("%9llu %s: ", (unsigned long long)off, name_of(type, seg));
	fwrite(p, 1, shown, stdout);
	putchar('\n');
}

/* file_read - pread for the parser */
static ssize_t
file_read(void *ctx, void *dst, size_t len, uint64_t off)
{
	return pread(*(int *)ctx, dst, len, (off_t)off);
}

int
main(int argc, char **argv)
{
	struct qf_parser *P;
	struct qf_input in;
	struct ctx c;
	struct stat sb;
	int	fd, rc, arg = 1;

	in.kind = QF_KIND_QUEUE;
	if (argc > 1 && strcmp(argv[1], "--maildrop") == 0) {
		in.kind = QF_KIND_MAILDROP;
		arg++;
	}
	if (argc - arg != 2) {
		fprintf(stderr, "usage: qfdump [--maildrop] LABEL FILE\n");
		return 2;
	}
	c.label = argv[arg];
	if ((fd = open(argv[arg + 1], O_RDONLY)) < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "qfdump: %s: %s\n", argv[arg + 1], strerror(errno));
		return 2;
	}
	in.read = file_read;
	in.ctx = &fd;
	in.size = (uint64_t)sb.st_size;
	in.mtime = sb.st_mtime;
	printf("*** ENVELOPE RECORDS %s ***\n", c.label);
	P = qf_parser_create();
	rc = qf_walk(P, &in, show, &c);
	if (rc != QF_OK)
		printf("qfdump: %s at offset %llu\n", qf_error(P),
		    (unsigned long long)qf_error_offset(P));
	qf_parser_free(P);
	close(fd);
	return rc == QF_OK ? 0 : 1;
}
