/* src/pg/result.c - reading a result: a cio_pg_result is libpq's PGresult
 * itself, so these are bounds checks and conversions around PQgetvalue. */
#include "pg/pg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from PostgreSQL's pg_type.dat (stable across versions). */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_VARCHAR = 1043,
    OID_NUMERIC = 1700
};

int cio_pg_result_rows(const cio_pg_result *result) {
    return result ? PQntuples(cio__pg_pq(result)) : 0;
}

int cio_pg_result_columns(const cio_pg_result *result) {
    return result ? PQnfields(cio__pg_pq(result)) : 0;
}

static bool in_range(const cio_pg_result *result, int row, int column) {
    return result && row >= 0 && column >= 0 && row < cio_pg_result_rows(result) &&
           column < cio_pg_result_columns(result);
}

const char *cio_pg_result_column_name(const cio_pg_result *result, int column) {
    if (!result || column < 0 || column >= cio_pg_result_columns(result)) return NULL;
    return PQfname(cio__pg_pq(result), column);
}

int cio_pg_result_column_index(const cio_pg_result *result, const char *name) {
    if (!result || !name) return -EINVAL;
    for (int i = 0; i < cio_pg_result_columns(result); i++)
        if (strcmp(PQfname(cio__pg_pq(result), i), name) == 0) return i;
    return -ENOENT;
}

unsigned int cio_pg_result_column_type(const cio_pg_result *result, int column) {
    if (!result || column < 0 || column >= cio_pg_result_columns(result)) return 0;
    return PQftype(cio__pg_pq(result), column);
}

int64_t cio_pg_result_affected(const cio_pg_result *result) {
    if (!result) return 0;
    const char *text = PQcmdTuples(cio__pg_pq(result));
    return *text ? strtoll(text, NULL, 10) : PQntuples(cio__pg_pq(result));
}

bool cio_pg_result_is_null(const cio_pg_result *result, int row, int column) {
    return !in_range(result, row, column) || PQgetisnull(cio__pg_pq(result), row, column);
}

const char *cio_pg_result_value(const cio_pg_result *result, int row, int column, size_t *len) {
    if (len) *len = 0;
    if (cio_pg_result_is_null(result, row, column)) return NULL;
    PGresult *pq = cio__pg_pq(result);
    if (len) *len = (size_t)PQgetlength(pq, row, column);
    return PQgetvalue(pq, row, column);
}

/* ---- typed reads ----------------------------------------------------------- */

/* The value, or an error for NULL / out of range; *binary tells the format. */
static int raw(const cio_pg_result *result, int row, int column, const char **bytes, int *len,
               bool *binary) {
    if (!in_range(result, row, column)) return -EINVAL;
    PGresult *pq = cio__pg_pq(result);
    if (PQgetisnull(pq, row, column)) return -ENODATA;
    *bytes = PQgetvalue(pq, row, column);
    *len = PQgetlength(pq, row, column);
    *binary = PQfformat(pq, column) == 1;
    return 0;
}

static int64_t big_endian(const char *bytes, int len) {
    uint64_t value = 0;
    for (int i = 0; i < len; i++) value = value << 8 | (unsigned char)bytes[i];
    if (len < 8 && (value >> (8 * len - 1)) & 1) value |= ~(uint64_t)0 << (8 * len); /* sign */
    return (int64_t)value;
}

static int parse_int(const char *text, int64_t *value) {
    char *end;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (end == text || *end) return -EINVAL;
    if (errno == ERANGE) return -ERANGE;
    *value = parsed;
    return 0;
}

int cio_pg_result_int64(const cio_pg_result *result, int row, int column, int64_t *value) {
    const char *bytes;
    int len;
    bool binary;
    if (!value) return -EINVAL;
    int rc = raw(result, row, column, &bytes, &len, &binary);
    if (rc < 0) return rc;
    if (!binary) return parse_int(bytes, value);
    unsigned int type = cio_pg_result_column_type(result, column);
    if (!((type == OID_INT2 && len == 2) || (type == OID_INT4 && len == 4) ||
          (type == OID_INT8 && len == 8)))
        return -EINVAL;
    *value = big_endian(bytes, len);
    return 0;
}

int cio_pg_result_double(const cio_pg_result *result, int row, int column, double *value) {
    const char *bytes;
    int len;
    bool binary;
    if (!value) return -EINVAL;
    int rc = raw(result, row, column, &bytes, &len, &binary);
    if (rc < 0) return rc;
    unsigned int type = cio_pg_result_column_type(result, column);
    if (binary && type == OID_FLOAT8 && len == 8) {
        uint64_t bits = (uint64_t)big_endian(bytes, 8);
        memcpy(value, &bits, sizeof *value);
        return 0;
    }
    if (binary && type == OID_FLOAT4 && len == 4) {
        uint32_t bits = (uint32_t)big_endian(bytes, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        *value = f;
        return 0;
    }
    if (binary) return -EINVAL;
    char *end;
    errno = 0;
    double parsed = strtod(bytes, &end);
    if (end == bytes || *end) return -EINVAL;
    if (errno == ERANGE && isinf(parsed)) return -ERANGE;
    *value = parsed;
    return 0;
}

int cio_pg_result_bool(const cio_pg_result *result, int row, int column, bool *value) {
    const char *bytes;
    int len;
    bool binary;
    if (!value) return -EINVAL;
    int rc = raw(result, row, column, &bytes, &len, &binary);
    if (rc < 0) return rc;
    if (binary) {
        if (len != 1) return -EINVAL;
        *value = bytes[0] != 0;
        return 0;
    }
    if (strcmp(bytes, "t") != 0 && strcmp(bytes, "f") != 0) return -EINVAL;
    *value = bytes[0] == 't';
    return 0;
}

void cio_pg_result_free(cio_pg_result *result) {
    if (result) PQclear(cio__pg_pq(result));
}
