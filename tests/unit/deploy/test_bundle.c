#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/bundle.h"

static int excluded(const char *rules, const char *path)
{
	struct craft_ignore ig;
	int r;

	craft_ignore_init(&ig);
	cr_assert_eq(craft_ignore_parse(&ig, rules), CRAFT_OK);
	r = craft_ignore_excluded(&ig, path);
	craft_ignore_release(&ig);
	return r;
}

Test(dockerignore, patterns_like_docker)
{
	cr_assert(excluded("*.md\n", "README.md"));
	cr_assert_not(excluded("*.md\n", "docs/README.md"), "'*' stays in one directory");
	cr_assert(excluded("**/*.md\n", "docs/deep/README.md"));
	cr_assert(excluded("node_modules\n", "node_modules/a/b.js"),
	          "a directory takes its contents");
	cr_assert(excluded("/build\n", "build/x"), "a leading '/' is dropped");
	cr_assert(excluded("# comment\n  tmp  \n", "tmp"));
	cr_assert_not(excluded("# tmp\n", "tmp"));
	cr_assert(excluded("./a/../secret\n", "secret"), "patterns are cleaned");
	cr_assert(excluded("te?t\n", "test"));
}

Test(dockerignore, last_match_wins_and_negation)
{
	const char *rules = "*.log\n!keep.log\n";

	cr_assert(excluded(rules, "x.log"));
	cr_assert_not(excluded(rules, "keep.log"));
	cr_assert(excluded("!keep.log\n*.log\n", "keep.log"), "order matters");
	cr_assert_not(excluded("docs\n!docs/api\n", "docs/api/index.md"));
	cr_assert(excluded("docs\n!docs/api\n", "docs/other.md"));
}

static void put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char path[1024], dir[1024];
	char *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int has(const struct craft_bundle_list *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->path[i], p) == 0)
			return 1;
	return 0;
}

static char root[] = "/tmp/craft-bundle-XXXXXX";

static void make_tree(void)
{
	cr_assert_not_null(mkdtemp(root));
	put(root, "docker-compose.yml",
	    "x-common: &common\n"
	    "  env_file: [common.env, {path: optional.env, required: false}]\n"
	    "services:\n"
	    "  web:\n"
	    "    <<: *common\n"
	    "    build: ./web\n"
	    "    volumes: ['./conf:/etc/conf:ro', 'data:/data', '/var/log:/host-log', "
	    "'./missing:/m']\n"
	    "  api:\n"
	    "    build: {context: api, dockerfile: docker/Dockerfile.prod}\n"
	    "    volumes: [{type: bind, source: ./api.conf, target: /c}]\n"
	    "  db:\n"
	    "    image: postgres\n"
	    "secrets:\n"
	    "  token: {file: ./secrets/token.txt}\n"
	    "volumes: {data: {}}\n",
	    0644);
	put(root, ".env", "SECRET=never-shipped\n", 0600);
	put(root, "common.env", "A=1\n", 0644);
	put(root, "web/Dockerfile", "FROM scratch\n", 0644);
	put(root, "web/.dockerignore", "*.md\nnode_modules\nDockerfile\n!important.md\n", 0644);
	put(root, "web/app.sh", "#!/bin/sh\n", 0755);
	put(root, "web/notes.md", "x\n", 0644);
	put(root, "web/important.md", "x\n", 0644);
	put(root, "web/node_modules/dep/index.js", "x\n", 0644);
	put(root, "api/docker/Dockerfile.prod", "FROM scratch\n", 0644);
	put(root, "api/main.c", "int main(void){return 0;}\n", 0644);
	put(root, "api.conf", "x\n", 0644);
	put(root, "conf/site.conf", "x\n", 0644);
	put(root, "secrets/token.txt", "t\n", 0600);
	put(root, "unreferenced.txt", "x\n", 0644);
}

static void rm_tree(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

Test(bundle, collects_what_the_compose_file_references, .init = make_tree, .fini = rm_tree)
{
	struct craft_bundle_list l;
	char path[1024];
	struct craft_err err;

	snprintf(path, sizeof(path), "%s/docker-compose.yml", root);
	craft_err_init(&err);
	cr_assert_eq(craft_bundle_collect(path, &l, &err), CRAFT_OK, "%s", err.msg);
	cr_assert(has(&l, "docker-compose.yml"));
	cr_assert(has(&l, "common.env"), "env_file through a merge key");
	cr_assert(has(&l, "web/Dockerfile"), "the Dockerfile is kept even when ignored");
	cr_assert(has(&l, "web/.dockerignore"));
	cr_assert(has(&l, "web/app.sh"));
	cr_assert(has(&l, "web/important.md"));
	cr_assert_not(has(&l, "web/notes.md"));
	cr_assert_not(has(&l, "web/node_modules/dep/index.js"));
	cr_assert(has(&l, "api/docker/Dockerfile.prod"));
	cr_assert(has(&l, "api/main.c"));
	cr_assert(has(&l, "api.conf"), "long-syntax bind mount");
	cr_assert(has(&l, "conf/site.conf"), "short-syntax bind mount");
	cr_assert(has(&l, "secrets/token.txt"));
	cr_assert_not(has(&l, ".env"), "the secrets file is never shipped");
	cr_assert_not(has(&l, "unreferenced.txt"));
	for (size_t i = 1; i < l.n; i++)
		cr_assert_lt(strcmp(l.path[i - 1], l.path[i]), 0, "sorted and unique");
	craft_bundle_list_release(&l);
}

Test(bundle, refuses_references_outside_the_directory, .init = make_tree, .fini = rm_tree)
{
	struct craft_bundle_list l;
	char path[1024];
	struct craft_err err;

	put(root, "escape.yml", "services:\n  web:\n    build: ../elsewhere\n", 0644);
	snprintf(path, sizeof(path), "%s/escape.yml", root);
	craft_err_init(&err);
	cr_assert_eq(craft_bundle_collect(path, &l, &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "'../elsewhere' is outside the compose file's directory"), "%s",
	          err.msg);
	put(root, "missing.yml", "services:\n  web:\n    env_file: nope.env\n", 0644);
	snprintf(path, sizeof(path), "%s/missing.yml", root);
	cr_assert_eq(craft_bundle_collect(path, &l, &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "'nope.env' does not exist"), "%s", err.msg);
}

Test(bundle, packs_a_tar_gz_with_modes_and_extras, .init = make_tree, .fini = rm_tree)
{
	struct craft_bundle_extra extra[] = { { ".craftctl-release.env", "RELEASE_ID='x'\n",
		                                0644 } };
	struct craft_bundle_info info;
	struct archive *a;
	struct archive_entry *e;
	char path[1024], out[1024];
	int saw_script = 0, saw_extra = 0, saw_dir = 0;

	snprintf(path, sizeof(path), "%s/docker-compose.yml", root);
	snprintf(out, sizeof(out), "%s/bundle.tar.gz", root);
	cr_assert_eq(craft_bundle_create(path, extra, 1, out, &info, NULL), CRAFT_OK);
	cr_assert_gt(info.files, 10);
	cr_assert_gt(info.archive, 0);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	cr_assert_eq(archive_read_open_filename(a, out, 10240), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		cr_assert_eq(archive_entry_uid(e), 0);
		if (strcmp(name, "web/app.sh") == 0) {
			saw_script = 1;
			cr_assert_eq(archive_entry_perm(e), 0755);
		}
		if (strcmp(name, "secrets/token.txt") == 0)
			cr_assert_eq(archive_entry_perm(e), 0600);
		if (strcmp(name, ".craftctl-release.env") == 0)
			saw_extra = 1;
		if (strncmp(name, "web", 3) == 0 && (name[3] == 0 || strcmp(name + 3, "/") == 0) &&
		    archive_entry_filetype(e) == AE_IFDIR)
			saw_dir = 1;
		cr_assert_neq(strcmp(name, ".env"), 0);
	}
	archive_read_free(a);
	cr_assert(saw_script, "web/app.sh");
	cr_assert(saw_extra, "extra file");
	cr_assert(saw_dir, "directory entry");
}

static char vroot[] = "/tmp/craft-bundle-vol-XXXXXX";

Test(bundle, lists_the_named_volumes_the_data_volume_can_hold)
{
	struct craft_bundle_list l;
	char path[1024], cmd[1100];
	struct craft_err err;

	cr_assert_not_null(mkdtemp(vroot));
	put(vroot, "docker-compose.yml",
	    "services:\n"
	    "  db: {image: postgres, volumes: ['pgdata:/var/lib/postgresql/data']}\n"
	    "volumes:\n"
	    "  pgdata:\n"
	    "  cache: {driver: local}\n"
	    "  nfs: {driver_opts: {type: nfs, o: addr=10.0.0.1, device: ':/x'}}\n"
	    "  shared: {external: true}\n"
	    "  named: {name: fixed-name}\n"
	    "  plugin: {driver: rexray/ebs}\n"
	    "  'bad name': {}\n",
	    0644);
	snprintf(path, sizeof(path), "%s/docker-compose.yml", vroot);
	craft_err_init(&err);
	cr_assert_eq(craft_bundle_collect(path, &l, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_str_eq(l.volumes ? l.volumes : "(none)", "pgdata\ncache\n",
	                 "only what the local driver keeps, under the project's name");
	craft_bundle_list_release(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vroot);
	cr_assert_eq(system(cmd), 0);
}
