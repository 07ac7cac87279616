/* The HTTP API's entry point: routes a request to its handler (API.md). */
#ifndef CLAIMS_ROUTES_H
#define CLAIMS_ROUTES_H

#include "http.h"

/* An http_handler; arg is the struct app. */
void intake_handle_request(struct http_request *req, void *arg);

#endif
