-- Data management: purge older data, delete everything (docs/api.md). Both run through the
-- single writer in bounded chunks; the answer comes when the deletion is done.
--   curl -X POST 'http://127.0.0.1:8080/api/data/purge?older_than=7d'
--   curl -X DELETE 'http://127.0.0.1:8080/api/data?confirm=delete-all-data'
local P = lib.params

local function purge(req)
  local age = req.query.older_than
  if not age then P.bad("older_than", "required: a duration such as 7d or 12h") end
  local ns = P.duration("older_than", age)
  if ns <= 0 then P.bad("older_than", "must be longer than zero") end
  api.purge({before_ns = api.now_ns() - ns})
end

local function delete_all(req)
  if req.query.confirm ~= "delete-all-data" then
    P.bad("confirm", "deleting everything needs confirm=delete-all-data")
  end
  api.purge({all = true})
end

return {
  {method = "POST", path = "/api/data/purge", handler = purge},
  {method = "DELETE", path = "/api/data", handler = delete_all},
}
