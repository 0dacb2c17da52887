/*
 * rec_type.h - Postfix queue-file record types and which segment allows
 * which type.
 *
 * These letters are Postfix's on-disk format (postfix src/global/rec_type.h)
 * and have kept their meaning since Postfix 1.0. One letter is overloaded:
 * 'L' is an unterminated content line inside the message content and a
 * content_filter record outside it; the segment decides.
 */
#ifndef PFQ_REC_TYPE_H
#define PFQ_REC_TYPE_H

#define REC_TYPE_SIZE		'C'	/* sizes and offsets, first record */
#define REC_TYPE_TIME		'T'	/* arrival time "sec usec" */
#define REC_TYPE_CTIME		'c'	/* pseudo-type of A create_time */
#define REC_TYPE_FULL		'F'	/* sender full name */
#define REC_TYPE_INSP		'I'	/* legacy content inspector */
#define REC_TYPE_FILT		'L'	/* content_filter (outside content) */
#define REC_TYPE_FROM		'S'	/* envelope sender */
#define REC_TYPE_DONE		'D'	/* recipient that needs no more work */
#define REC_TYPE_RCPT		'R'	/* recipient still to be delivered */
#define REC_TYPE_ORCP		'O'	/* original recipient of the next one */
#define REC_TYPE_DRCP		'/'	/* recipient canceled by a milter */
#define REC_TYPE_WARN		'W'	/* delay warning time */
#define REC_TYPE_ATTR		'A'	/* named attribute name=value */
#define REC_TYPE_KILL		'K'	/* record disabled in place */
#define REC_TYPE_RDR		'>'	/* redirect target */
#define REC_TYPE_MESG		'M'	/* start of message content */
#define REC_TYPE_NORM		'N'	/* content line */
#define REC_TYPE_CONT		'L'	/* content line piece (inside content) */
#define REC_TYPE_DTXT		'w'	/* padding */
#define REC_TYPE_XTRA		'X'	/* start of extracted segment */
#define REC_TYPE_RRTO		'r'	/* legacy Return-Receipt-To */
#define REC_TYPE_ERTO		'e'	/* legacy Errors-To */
#define REC_TYPE_PRIO		'P'	/* legacy priority */
#define REC_TYPE_PTR		'p'	/* pointer to another file offset */
#define REC_TYPE_VERP		'V'	/* VERP delimiters */
#define REC_TYPE_DSN_RET	'<'	/* pseudo-type of A ret_flags */
#define REC_TYPE_DSN_ENVID	'i'	/* pseudo-type of A envelope_id */
#define REC_TYPE_DSN_ORCPT	'o'	/* pseudo-type of A dsn_orig_rcpt */
#define REC_TYPE_DSN_NOTIFY	'n'	/* pseudo-type of A notify_flags */
#define REC_TYPE_END		'E'	/* end of the queue file */

/*
 * The types each segment allows; the first letter of each set ends the
 * segment. 'p' and 'w' may occur anywhere (Postfix's rec_get() hides
 * them), so they are added to every set here.
 */
#define REC_TYPE_ENVELOPE	"MCTcFILSDRO/WVA>K<ionpw"
#define REC_TYPE_CONTENT	"XLNwp"
#define REC_TYPE_EXTRACT	"EDRO/PreAFIL>Konpw"

/* Attribute names that identify who injected a message. */
#define MAIL_ATTR_SASL_USERNAME		"sasl_username"
#define MAIL_ATTR_CLIENT_ADDR		"client_address"
#define MAIL_ATTR_LOG_CLIENT_ADDR	"log_client_address"
#define MAIL_ATTR_CREATE_TIME		"create_time"

#endif
