-- QBench v2 behaviour that QBench's OpenAPI digest (api/qbench-api-v2.json) does not
-- express, or not in a way the generated tables can use: the one place for it.
--
-- tools/gen_v2_client.lua reads this overlay and merges it into the tables it
-- generates (lua/qbench/v2/api/, which qb.v2 and the `qbench v2` command both
-- read), so the runtime has no special case for any collection: it acts on the
-- generated fields alone. The generator refuses an entry naming a collection, an
-- operation or a path parameter the digest does not have, an unknown field, or an
-- entry without its `why`, and writes every `why` into doc/v2-operations.md under
-- its collection.
--
-- Per collection (keyed by its Lua name):
--   params   {name = {about =, why =}}: a path parameter that is not an integer id.
--            The generator refuses a digest whose non-integer path parameter is not
--            listed here (a new one needs a look). `about` says what the value is; it
--            goes into argument errors. The runtime checks such a value as one path
--            segment: a non-empty string, never "." or "..", percent-encoded.
--   ["METHOD /path"] = {why =, ...}: one operation (its path below /qbench/api/v2), with
--     name    its Lua name, where no path segment gives one
--     answer  what a success gives back, where the digest does not say or says
--             something else: "whole" (the decoded answer as it came) or "record" (the
--             answer's `data` object). Otherwise the generator derives it from the
--             documented 2xx answer: "records" for `{"data": [...]}`, "record" for
--             `{"data": {...}}`, none for no content.
return {
  api_clients = {
    params = {
      api_client_id = {
        about = "an API client's id",
        why = "QBench names an API client by a string id (its records' `id` is a string too), not"
          .. " by an integer as every other record: the id is checked as a non-empty path segment"
          .. " and percent-encoded.",
      },
    },
  },

  auth = {
    ["POST /auth/token"] = {
      answer = "whole",
      why = "QBench's v2 token endpoint takes a multipart/form-data body (`grant_type`,"
        .. " `assertion`: string fields, the digest's content type), not JSON, and documents"
        .. " no answer: it answers the OAuth token object itself (`access_token`, `expires_in`,"
        .. " `token_type`, `refresh_token`), not wrapped in `data`, and that is what the call returns.",
    },
    ["POST /auth/token/refresh"] = {
      answer = "whole",
      why = "Like `/auth/token`: a multipart/form-data body (`refresh_token_id`), and the OAuth"
        .. " token object itself as the answer, given back whole.",
    },
    ["GET /auth/token/info"] = {
      answer = "record",
      why = "QBench documents no answer for the token's description; it answers `{\"data\": {...}}`"
        .. " as every other single read of v2, and the call returns that `data` object.",
    },
  },

  invoices = {
    ["POST /invoices/{invoice_id}/send-email"] = {
      answer = "whole",
      why = "QBench queues the e-mail and answers 202 Accepted with a receipt,"
        .. " `{\"data\": {\"message\", \"queueId\"}}`, not a record: the call returns the answer whole.",
    },
  },

  labels = {
    params = {
      data_type = {
        about = "the kind of record the labels are for, such as \"sample\"",
        why = "QBench prints labels at `/labels/{label_id}/{data_type}`: `data_type` is a word naming"
          .. " the kind of record (a string), not a record id; it is checked as a non-empty path segment.",
      },
    },
    ["POST /labels/{label_id}/{data_type}"] = {
      name = "print",
      why = "The write's path ends in a parameter, so no path segment names the call: it is"
        .. " `v2.labels(label_id):print(data_type, records)`.",
    },
  },
}
