/* Parsing a journal batch (POST /v1/journal): outside input, every member checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "central.h"

static bool type_valid(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > SYNC_TYPE_MAX) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_')) {
			return false;
		}
	}
	return true;
}

void central_batch_free(struct central_batch *b)
{
	unsigned i;

	for (i = 0; i < b->n; i++) {
		free(b->recs[i].data);
	}
	free(b->recs);
	b->recs = NULL;
	b->n = 0;
}

int central_batch_parse(const char *buf, size_t len, struct central_batch *b, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *root, *v, *arr;
	uint64_t prev = 0;
	size_t i, n;
	int rc = -EBADMSG;

	memset(b, 0, sizeof(*b));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(why, why_len, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -EBADMSG;
	}
	if (!json_is_object(root)) {
		snprintf(why, why_len, "the body is not a JSON object");
		goto out;
	}
	v = json_object_get(root, "appliance");
	if (v) {
		if (!json_is_string(v) || !sync_name_valid(json_string_value(v), json_string_length(v))) {
			snprintf(why, why_len, "bad appliance");
			goto out;
		}
		memcpy(b->appliance, json_string_value(v), json_string_length(v) + 1);
		b->has_appliance = true;
	}
	arr = json_object_get(root, "records");
	n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0 || n > SYNC_BATCH_RECORDS_MAX) {
		snprintf(why, why_len, "records must be an array of 1-%u records", SYNC_BATCH_RECORDS_MAX);
		goto out;
	}
	b->recs = calloc(n, sizeof(*b->recs));
	if (!b->recs) {
		snprintf(why, why_len, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *r = json_array_get(arr, i), *seq, *type, *time, *data;
		struct central_record *cr = &b->recs[i];

		if (!json_is_object(r)) {
			snprintf(why, why_len, "record %zu is not an object", i);
			goto out;
		}
		seq = json_object_get(r, "seq");
		type = json_object_get(r, "type");
		time = json_object_get(r, "time");
		data = json_object_get(r, "data");
		if (!json_is_integer(seq) || json_integer_value(seq) < 1 ||
		    (uint64_t)json_integer_value(seq) > SYNC_SEQ_MAX) {
			snprintf(why, why_len, "record %zu: bad seq", i);
			goto out;
		}
		if ((uint64_t)json_integer_value(seq) <= prev) {
			snprintf(why, why_len, "record %zu: seq not strictly increasing", i);
			goto out;
		}
		if (!json_is_string(type) || !type_valid(json_string_value(type), json_string_length(type))) {
			snprintf(why, why_len, "record %zu: bad type", i);
			goto out;
		}
		if (!json_is_integer(time)) {
			snprintf(why, why_len, "record %zu: bad time", i);
			goto out;
		}
		if (!data) {
			snprintf(why, why_len, "record %zu: no data", i);
			goto out;
		}
		cr->seq = prev = (uint64_t)json_integer_value(seq);
		cr->time = (int64_t)json_integer_value(time);
		memcpy(cr->type, json_string_value(type), json_string_length(type) + 1);
		cr->data = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
		b->n++;
		if (!cr->data) {
			snprintf(why, why_len, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0) {
		central_batch_free(b);
	}
	return rc;
}
