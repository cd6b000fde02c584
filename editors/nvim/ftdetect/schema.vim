" schemac .schema files.
autocmd BufRead,BufNewFile *.schema setfiletype schema
