/* bench/http_client/load_curl.c - the reference: N GETs of one URL at
 * concurrency C with libcurl driving itself (curl_multi_perform +
 * curl_multi_poll), easy handles reused, bodies kept in memory as cio does.
 *   load_curl URL N C   prints "RESULT http_client curl_multi_poll req_per_s VALUE" */
#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct body {
    char *data;
    size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t count, void *arg) {
    struct body *b = arg;
    size_t len = size * count;
    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return len;
}

static void setup(CURL *easy, const char *url, struct body *b) {
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)b);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    const char *url = argv[1];
    int n = atoi(argv[2]), c = atoi(argv[3]), started = 0, done = 0, failed = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct body *bodies = calloc((size_t)c, sizeof *bodies);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < c && started < n; i++, started++) {
        CURL *easy = curl_easy_init();
        setup(easy, url, &bodies[i]);
        curl_multi_add_handle(multi, easy);
    }
    while (done < n) {
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *easy = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            failed += msg->data.result != CURLE_OK || status != 200;
            done++;
            struct body *body;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&body);
            body->len = 0;
            curl_multi_remove_handle(multi, easy);
            if (started < n) {
                started++;
                curl_multi_add_handle(multi, easy); /* reused, options kept */
            } else {
                curl_easy_cleanup(easy);
            }
        }
        if (done < n) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (failed) fprintf(stderr, "%d requests failed\n", failed);
    printf("RESULT http_client curl_multi_poll req_per_s %.0f\n", n / seconds);
    for (int i = 0; i < c; i++) free(bodies[i].data);
    free(bodies);
    curl_multi_cleanup(multi);
    return failed ? 1 : 0;
}
