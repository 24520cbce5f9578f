/* Replays fuzz inputs without libFuzzer: every file named on the command line, or every file in
 * a named directory, goes through LLVMFuzzerTestOneInput once. Used by ctest (label "fuzz") so
 * the corpus and the kept crash reproducers run in every build, sanitizers included. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;
	size_t got;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size\n", path);
		fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	got = fread(buf, 1, (size_t)len, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	unsigned runs = 0;
	int i;

	for (i = 1; i < argc; i++) {
		struct stat sb;
		DIR *d;
		struct dirent *de;
		char **names = NULL;
		size_t n = 0, k;

		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) != 0) {
				return 1;
			}
			runs++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			return 1;
		}
		while ((de = readdir(d))) {
			char *p;
			if (de->d_name[0] == '.') {
				continue;
			}
			if (asprintf(&p, "%s/%s", argv[i], de->d_name) < 0) {
				return 1;
			}
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = p;
		}
		closedir(d);
		qsort(names, n, sizeof(*names), cmp_str);
		for (k = 0; k < n; k++) {
			if (run_file(names[k]) != 0) {
				return 1;
			}
			runs++;
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %u inputs\n", runs);
	return runs ? 0 : 1;
}
