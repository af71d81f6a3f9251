/*
 * schema.h — the tables of a cache, as data; included by store_open.c only.
 *
 * typed_diskcache_schema is typed_diskcache's revision 000_init layout
 * exactly as it writes it: the CREATE statements byte for byte (tabs, the
 * ", \n" line ends, the quoted "key"), then the version and metadata rows.
 * A cache lockfs creates therefore looks, to typed_diskcache and to anything
 * comparing sqlite_master, like one typed_diskcache created itself.
 * new_cache_settings are the settings rows of a new cache; lockfs_schema is
 * lockfs's own tables, which live beside typed_diskcache's.
 */
#ifndef LOCKFS_SCHEMA_H
#define LOCKFS_SCHEMA_H

/* The one revision lockfs reads and writes (the version table). */
#define TYPED_DISKCACHE_REVISION "000_init"

/* typed_diskcache's schema, revision 000_init, exactly as it writes it. */
static const char *const typed_diskcache_schema[] = {
	"CREATE TABLE version (\n"
	"\tid INTEGER NOT NULL, \n"
	"\trevision VARCHAR(100) NOT NULL, \n"
	"\tPRIMARY KEY (id)\n"
	")",
	"CREATE TABLE settings (\n"
	"\tid INTEGER NOT NULL, \n"
	"\t\"key\" VARCHAR(32) NOT NULL, \n"
	"\tvalue JSON NOT NULL, \n"
	"\tmodified_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT settings_key UNIQUE (\"key\")\n"
	")",
	"CREATE TABLE metadata (\n"
	"\tid INTEGER NOT NULL, \n"
	"\t\"key\" VARCHAR(32) NOT NULL, \n"
	"\tvalue INTEGER DEFAULT 0 NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT metadata_key UNIQUE (\"key\")\n"
	")",
	"CREATE TABLE cache (\n"
	"\tid INTEGER NOT NULL, \n"
	"\t\"key\" BLOB NOT NULL, \n"
	"\traw BOOLEAN NOT NULL, \n"
	"\tstore_time FLOAT NOT NULL, \n"
	"\taccess_time FLOAT NOT NULL, \n"
	"\tfilepath VARCHAR, \n"
	"\tvalue BLOB, \n"
	"\texpire_time FLOAT DEFAULT NULL, \n"
	"\tmode INTEGER DEFAULT 0 NOT NULL, \n"
	"\taccess_count INTEGER DEFAULT 0 NOT NULL, \n"
	"\tsize INTEGER DEFAULT 0 NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT cache_key_raw UNIQUE (\"key\", raw)\n"
	")",
	"CREATE INDEX cache_expire_time ON cache (expire_time)",
	"CREATE INDEX cache_access_count ON cache (access_count)",
	"CREATE INDEX cache_store_time ON cache (store_time)",
	"CREATE INDEX cache_access_time ON cache (access_time)",
	"CREATE TABLE tag (\n"
	"\tname VARCHAR(100) NOT NULL, \n"
	"\tid INTEGER NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT tag_name UNIQUE (name)\n"
	")",
	"CREATE TABLE cache_tag (\n"
	"\tid INTEGER NOT NULL, \n"
	"\tcache_id INTEGER NOT NULL, \n"
	"\ttag_id INTEGER NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT cache_tag_cache_id_tag_id UNIQUE (cache_id, tag_id), \n"
	"\tCONSTRAINT cache_tag_cache_id_fkey FOREIGN KEY(cache_id) REFERENCES cache (id) "
	"ON DELETE CASCADE, \n"
	"\tCONSTRAINT cache_tag_tag_id_fkey FOREIGN KEY(tag_id) REFERENCES tag (id) "
	"ON DELETE CASCADE\n"
	")",
	"CREATE TRIGGER metadata_count_insert AFTER INSERT ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value + 1 WHERE key = \"count\"; END",
	"CREATE TRIGGER metadata_count_delete AFTER DELETE ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value - 1 WHERE key = \"count\"; END",
	"CREATE TRIGGER metadata_size_insert AFTER INSERT ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value + NEW.size WHERE key = \"size\"; END",
	"CREATE TRIGGER metadata_size_update AFTER UPDATE ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value + NEW.size - OLD.size WHERE key = \"size\"; END",
	"CREATE TRIGGER metadata_size_delete AFTER DELETE ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value - OLD.size WHERE key = \"size\"; END",
	"INSERT INTO version (id, revision) VALUES (1, '" TYPED_DISKCACHE_REVISION "')",
	"INSERT INTO metadata (id, \"key\", value) VALUES (1, 'count', 0), (2, 'size', 0), "
	"(3, 'hits', 0), (4, 'misses', 0)",
};

/* The settings rows of a new cache: typed_diskcache's defaults, no eviction. */
static const char *const new_cache_settings[][2] = {
	{"statistics", "false"},
	{"eviction_policy", "\"none\""},
	{"size_limit", "1073741824"},
	{"cull_limit", "10"},
	{"serialized_disk",
	 "[\"typed_diskcache.implement.disk.main.Disk\", {\"min_file_size\": 32768}]"},
	{"sqlite_auto_vacuum", "\"FULL\""},
	{"sqlite_cache_size", "8192"},
	{"sqlite_journal_mode", "\"WAL\""},
	{"sqlite_mmap_size", "67108864"},
	{"sqlite_synchronous", "\"NORMAL\""},
};

/*
 * lockfs's own tables.  IF NOT EXISTS and OR IGNORE: run on every open that
 * finds one missing, it adds what is absent and keeps what is there.
 */
static const char *const lockfs_schema =
	"CREATE TABLE IF NOT EXISTS lockfs_holder (\n"
	"\tcache_id INTEGER PRIMARY KEY REFERENCES cache (id) ON DELETE CASCADE,\n"
	"\tkey BLOB NOT NULL,\n"
	"\tstore_time FLOAT NOT NULL,\n"
	"\tuid INTEGER NOT NULL,\n"
	"\tgid INTEGER NOT NULL,\n"
	"\tpid INTEGER NOT NULL,\n"
	"\tstart_time INTEGER NOT NULL,\n"
	"\tcomm TEXT NOT NULL,\n"
	"\thost TEXT NOT NULL,\n"
	"\tgeneration INTEGER NOT NULL,\n"
	"\tnote BLOB,\n"
	"\tholds TEXT\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS lockfs_dir (\n"
	"\tpath TEXT PRIMARY KEY,\n"
	"\ttimeout TEXT,\n"
	"\tttl TEXT,\n"
	"\ttags TEXT,\n"
	"\topen TEXT\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS lockfs_waiter (\n"
	"\tid INTEGER PRIMARY KEY,\n"
	"\tkey BLOB NOT NULL,\n"
	"\thost TEXT NOT NULL,\n"
	"\tpid INTEGER NOT NULL,\n"
	"\tstart_time INTEGER NOT NULL,\n"
	"\tparked INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS lockfs_waiter_key ON lockfs_waiter (key, id);\n"
	"CREATE TABLE IF NOT EXISTS lockfs_generation (\n"
	"\tid INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"\tvalue INTEGER NOT NULL\n"
	");\n"
	"INSERT OR IGNORE INTO lockfs_generation (id, value) VALUES (1, 0);\n"
	"INSERT OR IGNORE INTO lockfs_dir (path) VALUES ('');\n";

#endif
