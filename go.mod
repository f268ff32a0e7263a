module gensched

go 1.23.0
