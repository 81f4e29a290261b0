/*
 * The C ABI from C: include/spool.h against libSpoolC, compiled with cc by scripts/test-c-abi.
 * Usage: spool_abi_test SCRATCH_DIRECTORY. Prints one line per failed check, then "N passed, M failed";
 * exits 1 when any check failed.
 */
#define _DEFAULT_SOURCE
#include "spool.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed = 0, failed = 0;

#define CHECK(condition, ...)                                                   \
    do {                                                                        \
        if (condition) {                                                        \
            passed++;                                                           \
        } else {                                                                \
            failed++;                                                           \
            fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

static char scratch[512];

static void path_in_scratch(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", scratch, name);
}

/* Rows in the spool file's outbox, read through SQLite directly (-1 when the file cannot be read). */
static long pending_rows(const char *path) {
    sqlite3 *db = NULL;
    long rows = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *statement = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox", -1, &statement, NULL) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW) {
            rows = (long)sqlite3_column_int64(statement, 0);
        }
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return rows;
}

static int32_t append_text(spool_handle handle, const char *table, const char *json, char *id, spool_error *error) {
    return spool_append(handle, table, json, strlen(json), id, SPOOL_INSERT_ID_CAPACITY, error);
}

static void test_append_and_bad_input(void) {
    char path[600];
    path_in_scratch(path, sizeof path, "basic.db");
    spool_handle handle = 0;
    spool_error error;
    CHECK(spool_open(path, &handle, &error) == SPOOL_OK && handle != 0, "open: %s", error.message);

    char id[SPOOL_INSERT_ID_CAPACITY] = {0};
    int32_t code = append_text(handle, "user_search_events", "{\"event_id\":\"e1\",\"query\":\"oat milk\"}", id, &error);
    CHECK(code == SPOOL_OK && error.code == SPOOL_OK, "append: %d %s", code, error.message);
    CHECK(strlen(id) == 36, "the insert id is a UUID: '%s'", id);
    CHECK(pending_rows(path) == 1, "one row committed");

    /* Bad input: the right code, a message without the payload, nothing written. */
    code = append_text(handle, "user_search_events", "{\"query\":\"secret-value\"", id, &error);
    CHECK(code == SPOOL_ERR_INVALID_JSON && error.code == code, "truncated JSON: %d", code);
    CHECK(strlen(error.message) > 0 && strstr(error.message, "secret-value") == NULL, "message without payload: %s", error.message);
    code = append_text(handle, "user_search_events", "[\"secret-value\"]", id, &error);
    CHECK(code == SPOOL_ERR_NOT_AN_OBJECT, "an array: %d", code);
    code = append_text(handle, "user search events!", "{\"a\":1}", id, &error);
    CHECK(code == SPOOL_ERR_INVALID_TABLE_NAME, "a bad table name: %d %s", code, error.message);
    const char invalid_utf8[] = "{\"a\":\"\xff\xfe\"}";
    code = append_text(handle, "user_search_events", invalid_utf8, id, &error);
    CHECK(code == SPOOL_ERR_INVALID_JSON, "invalid UTF-8: %d", code);
    code = append_text(handle, NULL, "{\"a\":1}", id, &error);
    CHECK(code == SPOOL_ERR_INVALID_ARGUMENT, "a NULL table: %d", code);
    CHECK(pending_rows(path) == 1, "bad input wrote nothing");

    /* A length, not a NUL, ends the JSON text. */
    const char *two = "{\"event_id\":\"e2\"}{\"trailing\":1}";
    code = spool_append(handle, "user_search_events", two, 17, id, sizeof id, &error);
    CHECK(code == SPOOL_OK, "append of the first 17 bytes: %d %s", code, error.message);

    /* No insert id wanted, no error wanted. */
    CHECK(spool_append(handle, "user_search_events", "{}", 2, NULL, 0, NULL) == SPOOL_OK, "append without buffers");
    char tiny[8];
    code = spool_append(handle, "user_search_events", "{}", 2, tiny, sizeof tiny, &error);
    CHECK(code == SPOOL_ERR_BUFFER_TOO_SMALL, "a small insert id buffer: %d", code);
    CHECK(pending_rows(path) == 4, "the row of a too small buffer is committed anyway (4 rows): %ld", pending_rows(path));

    CHECK(spool_close(handle, &error) == SPOOL_OK, "close: %s", error.message);
    code = append_text(handle, "user_search_events", "{}", id, &error);
    CHECK(code == SPOOL_ERR_CLOSED && error.code == SPOOL_ERR_CLOSED, "append after close: %d", code);
    CHECK(spool_close(handle, &error) == SPOOL_ERR_CLOSED, "closing twice");
    CHECK(append_text(987654321, "t", "{}", id, &error) == SPOOL_ERR_CLOSED, "an unknown handle");
    CHECK(pending_rows(path) == 4, "nothing written after close");
    CHECK(strcmp(spool_code_name(SPOOL_ERR_SPOOL_FULL), "spoolFull") == 0, "code names");
    CHECK(strcmp(spool_code_name(12345), "other") == 0, "unknown code name");
}

static void test_configuration_and_cap(void) {
    char config[600], db[600], bad[600], text[2048];
    path_in_scratch(config, sizeof config, "capped.json");
    path_in_scratch(db, sizeof db, "capped.db");
    FILE *file = fopen(config, "w");
    fprintf(file, "{\"spool\": {\"path\": \"capped.db\", \"maxPendingRows\": 3, \"capPolicy\": \"reject\"},"
                  " \"destination\": {\"project\": \"p\", \"dataset\": \"d\"}}");
    fclose(file);
    spool_handle handle = 0;
    spool_error error;
    CHECK(spool_open_config(config, &handle, &error) == SPOOL_OK, "open_config: %s", error.message);
    char id[SPOOL_INSERT_ID_CAPACITY];
    for (int i = 0; i < 3; i++) {
        CHECK(append_text(handle, "t", "{\"n\":1}", id, &error) == SPOOL_OK, "append %d under the cap", i);
    }
    int32_t code = append_text(handle, "t", "{\"n\":4}", id, &error);
    CHECK(code == SPOOL_ERR_SPOOL_FULL, "the fourth row: %d %s", code, error.message);
    CHECK(pending_rows(db) == 3, "the cap wrote nothing: %ld", pending_rows(db));
    CHECK(spool_close(handle, &error) == SPOOL_OK, "close");

    path_in_scratch(bad, sizeof bad, "bad.json");
    file = fopen(bad, "w");
    fprintf(file, "{\"spool\": {\"path\": \"x.db\", \"maxPendingRows\": \"many\"}}");
    fclose(file);
    code = spool_open_config(bad, &handle, &error);
    CHECK(code == SPOOL_ERR_INVALID_CONFIGURATION, "a bad configuration: %d %s", code, error.message);

    path_in_scratch(text, sizeof text, "not-a-database.db");
    file = fopen(text, "w");
    for (int i = 0; i < 200; i++) fprintf(file, "this is a text file, not a database\n");
    fclose(file);
    code = spool_open(text, &handle, &error);
    CHECK(code == SPOOL_ERR_NOT_A_DATABASE, "a text file: %d %s", code, error.message);
    code = spool_uploader_start(987654321, &error);
    CHECK(code == SPOOL_ERR_CLOSED, "uploader of an unknown handle: %d", code);
}

/* The uploader's own failures have codes of their own: a credentials file that is missing is
 * SPOOL_ERR_CREDENTIALS (not a configuration error), a second start is SPOOL_ERR_ALREADY_RUNNING. */
static void test_uploader_errors(void) {
    char config[600], missing[600];
    path_in_scratch(config, sizeof config, "missing-key.json");
    path_in_scratch(missing, sizeof missing, "no-such-key.json");
    FILE *file = fopen(config, "w");
    fprintf(file, "{\"spool\": {\"path\": \"uploader.db\"}, \"destination\": {\"project\": \"p\", \"dataset\": \"d\"},"
                  " \"uploader\": {\"credentials\": \"%s\"}}", missing);
    fclose(file);
    spool_handle handle = 0;
    spool_error error;
    CHECK(spool_open_config(config, &handle, &error) == SPOOL_OK, "open_config: %s", error.message);
    int32_t code = spool_uploader_start(handle, &error);
    CHECK(code == SPOOL_ERR_CREDENTIALS, "a missing key file: %d %s", code, error.message);
    CHECK(strstr(error.message, "no-such-key.json") != NULL, "the message names the file: %s", error.message);
    CHECK(strcmp(spool_code_name(SPOOL_ERR_CREDENTIALS), "credentials") == 0, "the code's name");
    CHECK(spool_close(handle, &error) == SPOOL_OK, "close");

    path_in_scratch(config, sizeof config, "no-credentials.json");
    file = fopen(config, "w");
    fprintf(file, "{\"spool\": {\"path\": \"uploader.db\"}, \"destination\": {\"project\": \"p\", \"dataset\": \"d\","
                  " \"endpoint\": \"http://127.0.0.1:9\"}, \"uploader\": {\"credentials\": \"none\"}}");
    fclose(file);
    CHECK(spool_open_config(config, &handle, &error) == SPOOL_OK, "open_config: %s", error.message);
    CHECK(spool_uploader_start(handle, &error) == SPOOL_OK, "start: %s", error.message);
    code = spool_uploader_start(handle, &error);
    CHECK(code == SPOOL_ERR_ALREADY_RUNNING, "a second start: %d %s", code, error.message);
    CHECK(spool_close(handle, &error) == SPOOL_OK, "close with the uploader running: %s", error.message);
}

#define THREADS 4

struct worker {
    spool_handle handle;
    int limit;          /* appends to make; 0: until an error */
    long committed;
    int32_t last_code;
};

static void *append_loop(void *argument) {
    struct worker *worker = argument;
    char id[SPOOL_INSERT_ID_CAPACITY];
    spool_error error;
    for (int i = 0; worker->limit == 0 || i < worker->limit; i++) {
        int32_t code = append_text(worker->handle, "product_interaction_events", "{\"event_id\":\"x\",\"position\":3}", id, &error);
        if (code != SPOOL_OK) {
            worker->last_code = code;
            break;
        }
        worker->committed++;
    }
    return NULL;
}

static void test_threads(void) {
    char path[600];
    path_in_scratch(path, sizeof path, "threads.db");
    spool_handle handle = 0;
    spool_error error;
    CHECK(spool_open(path, &handle, &error) == SPOOL_OK, "open");
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){handle, 1000, 0, SPOOL_OK};
        pthread_create(&threads[i], NULL, append_loop, &workers[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        total += workers[i].committed;
        CHECK(workers[i].last_code == SPOOL_OK, "thread %d: %d", i, workers[i].last_code);
    }
    CHECK(total == THREADS * 1000 && pending_rows(path) == total, "4 threads × 1000 appends: %ld, %ld rows", total, pending_rows(path));

    /* Close while the threads append: each stops with SPOOL_ERR_CLOSED, none crashes, every success is in the file. */
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){handle, 0, 0, SPOOL_OK};
        pthread_create(&threads[i], NULL, append_loop, &workers[i]);
    }
    usleep(100 * 1000);
    CHECK(spool_close(handle, &error) == SPOOL_OK, "close beside appends: %s", error.message);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    long during = 0;
    for (int i = 0; i < THREADS; i++) {
        during += workers[i].committed;
        CHECK(workers[i].last_code == SPOOL_ERR_CLOSED, "thread %d stopped with closed: %d", i, workers[i].last_code);
    }
    CHECK(during > 0, "appends ran before the close: %ld", during);
    CHECK(pending_rows(path) == total + during, "every acknowledged append is in the file: %ld vs %ld", pending_rows(path), total + during);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIRECTORY\n", argv[0]);
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    test_append_and_bad_input();
    test_configuration_and_cap();
    test_uploader_errors();
    test_threads();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
