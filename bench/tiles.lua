-- Random tiles from a list (one path per line, in the file named by TILES_LIST), one GET each.
local paths = {}
for line in io.lines(os.getenv("TILES_LIST")) do
  paths[#paths + 1] = line
end
math.randomseed(7)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
