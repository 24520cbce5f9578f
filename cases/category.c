/* Case categories: stable codes, slugs and labels. */
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include <yordam/cases.h>

static const struct {
	const char *slug, *label;
} categories[CASES_CAT_MAX + 1] = {
	[CASES_CAT_UNPAID_WAGES] = {"wages", "unpaid wages"},
	[CASES_CAT_DOCUMENTS_RETAINED] = {"documents", "retained passport or documents"},
	[CASES_CAT_UNSAFE_WORK] = {"unsafe", "unsafe work"},
	[CASES_CAT_FRAUDULENT_RECRUITER] = {"recruiter", "fraudulent recruiter"},
	[CASES_CAT_VIOLENCE_TRAFFICKING] = {"violence", "violence or trafficking"},
	[CASES_CAT_DETENTION_DEPORTATION] = {"detention", "detention or deportation"},
	[CASES_CAT_OTHER] = {"other", "other"},
};

bool cases_category_valid(int code)
{
	return code >= CASES_CAT_MIN && code <= CASES_CAT_MAX;
}

const char *cases_category_slug(int code)
{
	return cases_category_valid(code) ? categories[code].slug : NULL;
}

const char *cases_category_label(int code)
{
	return cases_category_valid(code) ? categories[code].label : NULL;
}

int cases_category_from_slug(const char *slug)
{
	int i;

	if (!slug) {
		return -EINVAL;
	}
	for (i = CASES_CAT_MIN; i <= CASES_CAT_MAX; i++) {
		if (strcasecmp(slug, categories[i].slug) == 0) {
			return i;
		}
	}
	return -EINVAL;
}
