#include "LiandongSQLite.h"

// SQLite's own definition of SQLITE_TRANSIENT: the value is copied before the call returns.
typedef void (*liandong_destructor)(void*);
#define LIANDONG_SQLITE_TRANSIENT ((liandong_destructor)-1)

int sqlite_nio_sqlite3_bind_text(sqlite3_stmt*, int, const char*, int, void(*)(void*));
int sqlite_nio_sqlite3_bind_blob(sqlite3_stmt*, int, const void*, int n, void(*)(void*));

int liandong_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int bytes) {
    // An empty string must not be taken for NULL: SQLite reads a NULL pointer as NULL.
    return sqlite_nio_sqlite3_bind_text(statement, index, text ? text : "", bytes, LIANDONG_SQLITE_TRANSIENT);
}

int liandong_sqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int count) {
    static const char empty = 0;
    return sqlite_nio_sqlite3_bind_blob(statement, index, bytes ? bytes : &empty, count, LIANDONG_SQLITE_TRANSIENT);
}
