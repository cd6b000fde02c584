" Writes the syntax groups of the current buffer to the file named by g:dump_out: one line per
" source line, then one line per run of characters with the same (innermost) syntax group,
" whitespace-only runs left out. Used by the editor tests.
function! s:Dump() abort
  let out = []
  for lnum in range(1, line('$'))
    let text = getline(lnum)
    call add(out, printf('%4d | %s', lnum, text))
    let col = 1
    let n = strlen(text)
    while col <= n
      let group = synIDattr(synID(lnum, col, 1), 'name')
      let start = col
      while col <= n && synIDattr(synID(lnum, col, 1), 'name') ==# group
        let col += 1
      endwhile
      let piece = strpart(text, start - 1, col - start)
      if piece =~# '\S'
        call add(out, printf('       %s %s', string(piece), group ==# '' ? '-' : group))
      endif
    endwhile
  endfor
  call writefile(out, g:dump_out)
endfunction
call s:Dump()
