/*
 * schema.h - every measurement, tag and field name pfqmon emits.
 *
 * This header and docs/metrics.md are the contract with the Kapacitor
 * scripts and Chronograf dashboards; a name is defined here once and
 * nowhere else. The per-queue measurement keeps the names of Telegraf's
 * inputs.postfix (postfix_queue, queue, length, size, age) so that pfqmon
 * can replace that plugin.
 */
#ifndef PFQ_SCHEMA_H
#define PFQ_SCHEMA_H

/* Queues, in the order they are reported. */
enum pfq_queue {
	Q_MAILDROP,
	Q_INCOMING,
	Q_ACTIVE,
	Q_DEFERRED,
	Q_HOLD,
	Q_CORRUPT,
	Q_COUNT
};

/* Queues that hold mail in flow; corrupt is reported on its own only. */
#define Q_MAIL_COUNT	Q_CORRUPT

/* Queue directory names; also the tag values and per-queue field names. */
#define SCHEMA_QUEUE_NAMES \
	{ "maildrop", "incoming", "active", "deferred", "hold", "corrupt" }

#define M_QUEUE			"postfix_queue"
#define M_TOTAL			"postfix_queue_total"
#define M_SENDER		"postfix_queue_sender"
#define M_SASL			"postfix_queue_sasl"
#define M_CLIENT		"postfix_queue_client"
#define M_SENDER_DOMAIN		"postfix_queue_sender_domain"
#define M_RCPT_DOMAIN		"postfix_queue_recipient_domain"
#define M_AGE			"postfix_queue_age"
#define M_SCAN			"postfix_queue_scan"
#define M_ARRIVALS		"postfix_arrivals"
#define M_ARRIVALS_SENDER	"postfix_arrivals_sender"
#define M_ARRIVALS_SASL		"postfix_arrivals_sasl"
#define M_ARRIVALS_CLIENT	"postfix_arrivals_client"

#define T_QUEUE			"queue"
#define T_SENDER		"sender"
#define T_SASL_USERNAME		"sasl_username"
#define T_CLIENT_ADDRESS	"client_address"
#define T_DOMAIN		"domain"
#define T_SOURCE		"source"
#define T_BUCKET		"bucket"	/* Prometheus: qshape's bucket */

#define F_LENGTH		"length"
#define F_SIZE			"size"
#define F_AGE			"age"
#define F_RECIPIENTS		"recipients"
#define F_MESSAGES		"messages"	/* postfix_arrivals* */
#define F_PERIOD_MS		"period_ms"	/* postfix_arrivals* */

/* postfix_queue_age: qshape's buckets, upper bound in minutes. */
#define AGE_BUCKETS		10
#define AGE_BUCKET_FIRST_S	300	/* 5 minutes, then doubling */
#define SCHEMA_AGE_FIELDS \
	{ "lt_5m", "lt_10m", "lt_20m", "lt_40m", "lt_80m", "lt_160m", \
	  "lt_320m", "lt_640m", "lt_1280m", "ge_1280m" }

/* postfix_queue_scan fields. */
#define F_FILES			"files"
#define F_PARSED		"parsed"
#define F_SKIPPED		"skipped"
#define F_VANISHED		"vanished"
#define F_UNPARSEABLE		"unparseable"
#define F_IGNORED		"ignored"
#define F_DUPLICATES		"duplicates"
#define F_ERRORS		"errors"
#define F_CACHED		"cached"
#define F_FULL			"full"
#define F_EVENTS		"events"
#define F_OVERFLOWS		"overflows"
#define F_DURATION_US		"duration_us"
#define F_PUSH_SENT		"push_sent"
#define F_PUSH_RETRIED		"push_retried"
#define F_PUSH_REJECTED		"push_rejected"
#define F_PUSH_DROPPED		"push_dropped"
#define F_PUSH_BUFFER_BYTES	"push_buffer_bytes"

#define SOURCE_SPOOL		"spool"
#define SOURCE_POSTQUEUE	"postqueue"
#define SOURCE_SHOWQ		"showq"

/*
 * Prometheus (prom.c): a metric is a measurement's name, or for the
 * scan's health its field's, and one of these; every one is a gauge.
 */
#define P_MESSAGES		"_messages"
#define P_BYTES			"_bytes"
#define P_RECIPIENTS		"_recipients"
#define P_OLDEST		"_oldest_message_age_seconds"
#define P_DURATION		"_duration_seconds"
#define P_TIMESTAMP		"_timestamp_seconds"

/* Special tag values. */
#define KEY_OTHER		"(other)"	/* rows past --top, folded */
#define KEY_NULL_SENDER		"MAILER-DAEMON"	/* as postqueue and qshape */
#define KEY_NO_DOMAIN		"(none)"	/* "user@" has no domain */

#endif
