-- Random points over Luohe's extent, one GET /api/v1/locate per request.
math.randomseed(42)
request = function()
  local lon = 113.45 + math.random() * 0.84
  local lat = 33.40 + math.random() * 0.59
  return wrk.format("GET", string.format("/api/v1/locate?lon=%.6f&lat=%.6f", lon, lat))
end
