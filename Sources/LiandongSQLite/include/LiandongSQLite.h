// The part of SQLite's C interface the project's own SQLite writer uses, declared against the
// one SQLite library in the process: the copy SQLiteNIO vendors and links (its `VaporCSQLite`
// target, whose symbols carry the `sqlite_nio_` prefix). SQLiteNIO publishes only its Swift
// product, so that target cannot be named as a dependency; these declarations are resolved at
// link time against SQLiteNIO's object code, which the package depends on (Package.swift). No
// second SQLite is compiled or linked: two copies in one process break each other's POSIX file
// locks. Should SQLiteNIO ever rename its symbols, the link fails; nothing falls back silently.
//
// The prototypes are copied verbatim from SQLiteNIO 1.13.2's `sqlite_nio_sqlite3.h` (SQLite 3.53),
// and the constants from SQLite's documented, stable values.
#ifndef LIANDONG_SQLITE_H
#define LIANDONG_SQLITE_H

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef long long int sqlite_int64;
typedef sqlite_int64 sqlite3_int64;

int sqlite_nio_sqlite3_libversion_number(void);
int sqlite_nio_sqlite3_open_v2(const char *filename, sqlite3 **ppDb, int flags, const char *zVfs);
int sqlite_nio_sqlite3_close_v2(sqlite3*);
int sqlite_nio_sqlite3_extended_result_codes(sqlite3*, int onoff);
int sqlite_nio_sqlite3_busy_timeout(sqlite3*, int ms);
int sqlite_nio_sqlite3_get_autocommit(sqlite3*);
int sqlite_nio_sqlite3_extended_errcode(sqlite3 *db);
const char *sqlite_nio_sqlite3_errmsg(sqlite3*);
int sqlite_nio_sqlite3_exec(sqlite3*, const char *sql, int (*callback)(void*,int,char**,char**), void *, char **errmsg);
int sqlite_nio_sqlite3_prepare_v3(sqlite3 *db, const char *zSql, int nByte, unsigned int prepFlags,
                                  sqlite3_stmt **ppStmt, const char **pzTail);
int sqlite_nio_sqlite3_finalize(sqlite3_stmt *pStmt);
int sqlite_nio_sqlite3_reset(sqlite3_stmt *pStmt);
int sqlite_nio_sqlite3_clear_bindings(sqlite3_stmt*);
int sqlite_nio_sqlite3_step(sqlite3_stmt*);
int sqlite_nio_sqlite3_bind_null(sqlite3_stmt*, int);
int sqlite_nio_sqlite3_bind_int64(sqlite3_stmt*, int, sqlite3_int64);
int sqlite_nio_sqlite3_bind_double(sqlite3_stmt*, int, double);
int sqlite_nio_sqlite3_column_count(sqlite3_stmt *pStmt);
const char *sqlite_nio_sqlite3_column_name(sqlite3_stmt*, int N);
int sqlite_nio_sqlite3_column_type(sqlite3_stmt*, int iCol);
sqlite3_int64 sqlite_nio_sqlite3_column_int64(sqlite3_stmt*, int iCol);
double sqlite_nio_sqlite3_column_double(sqlite3_stmt*, int iCol);
const unsigned char *sqlite_nio_sqlite3_column_text(sqlite3_stmt*, int iCol);
const void *sqlite_nio_sqlite3_column_blob(sqlite3_stmt*, int iCol);
int sqlite_nio_sqlite3_column_bytes(sqlite3_stmt*, int iCol);

/// Binds text or a blob, which SQLite copies (SQLITE_TRANSIENT, a macro Swift cannot import).
int liandong_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int bytes);
int liandong_sqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int count);

// Result codes (primary; `& 0xFF` of an extended code).
#define LIANDONG_SQLITE_OK 0
#define LIANDONG_SQLITE_BUSY 5
#define LIANDONG_SQLITE_LOCKED 6
#define LIANDONG_SQLITE_FULL 13
#define LIANDONG_SQLITE_CONSTRAINT 19
#define LIANDONG_SQLITE_ROW 100
#define LIANDONG_SQLITE_DONE 101

// Column types.
#define LIANDONG_SQLITE_INTEGER 1
#define LIANDONG_SQLITE_FLOAT 2
#define LIANDONG_SQLITE_TEXT 3
#define LIANDONG_SQLITE_BLOB 4
#define LIANDONG_SQLITE_NULL 5

// Open flags, as SQLiteNIO opens its own connections (serialized threading mode).
#define LIANDONG_SQLITE_OPEN_READWRITE 0x00000002
#define LIANDONG_SQLITE_OPEN_CREATE 0x00000004
#define LIANDONG_SQLITE_OPEN_URI 0x00000040
#define LIANDONG_SQLITE_OPEN_FULLMUTEX 0x00010000
#define LIANDONG_SQLITE_OPEN_EXRESCODE 0x02000000

#define LIANDONG_SQLITE_PREPARE_PERSISTENT 0x01

#endif
