/* Exports of audit events for outside repositories: FHIR R4 AuditEvent
 * (fields of the IHE BALP profile) and RFC 5424 syslog lines (for an ATNA
 * audit record repository). Pure functions on the stored event bytes. */
#ifndef CF_AUDIT_EXPORT_H
#define CF_AUDIT_EXPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

/* A FHIR R4 AuditEvent resource for one stored event (new reference). */
cf_err cf_export_fhir(const uint8_t *event, size_t len, const char *origin, json_t **ret);

/* One RFC 5424 line (no trailing newline) for one stored event. */
cf_err cf_export_syslog(const uint8_t *event, size_t len, const char *origin, char *out,
                        size_t cap, size_t *ret_len);

#endif
