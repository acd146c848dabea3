package script

import (
	"io"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Lua 5.1 turns a number into a string for '..' with "%.14g" (1/3 .. '' is
// "0.33333333333333", 2^53 .. '' is "9.007199254741e+15", 0/0 .. '' is "-nan"); gopher-lua's
// VM formats it as Go does. Its '..' cannot be hooked, so scripts are compiled from a
// rewritten syntax tree instead: every operand of '..' that is not a string literal goes
// through concatArgName, a Go function that formats a number as Lua 5.1 does and passes
// anything else through (so errors and __concat are the VM's own).

// concatArgName is the global holding the operand converter: not an identifier, so no script
// can name it.
const concatArgName = " concat-arg"

// registerConcatArg installs the converter in the real globals.
func (r *runtime) registerConcatArg() {
	r.globals.RawSetString(concatArgName, r.L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if n, ok := v.(lua.LNumber); ok {
			v = lua.LString(formatG14(float64(n)))
		}
		L.Push(v)
		return 1
	}))
}

// load parses and compiles a chunk as LState.Load does, with '..' operands rewritten.
func (r *runtime) load(src io.Reader, name string) (*lua.LFunction, error) {
	chunk, err := parse.Parse(src, name)
	if err != nil {
		return nil, &lua.ApiError{Type: lua.ApiErrorSyntax, Object: lua.LString(err.Error()), Cause: err}
	}
	rewriteStmts(chunk)
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &lua.ApiError{Type: lua.ApiErrorSyntax, Object: lua.LString(err.Error()), Cause: err}
	}
	return r.L.NewFunctionFromProto(proto), nil
}

func rewriteStmts(stmts []ast.Stmt) {
	for _, st := range stmts {
		switch s := st.(type) {
		case *ast.AssignStmt:
			rewriteExprs(s.Lhs)
			rewriteExprs(s.Rhs)
		case *ast.LocalAssignStmt:
			rewriteExprs(s.Exprs)
		case *ast.FuncCallStmt:
			s.Expr = rewriteExpr(s.Expr)
		case *ast.DoBlockStmt:
			rewriteStmts(s.Stmts)
		case *ast.WhileStmt:
			s.Condition = rewriteExpr(s.Condition)
			rewriteStmts(s.Stmts)
		case *ast.RepeatStmt:
			s.Condition = rewriteExpr(s.Condition)
			rewriteStmts(s.Stmts)
		case *ast.IfStmt:
			s.Condition = rewriteExpr(s.Condition)
			rewriteStmts(s.Then)
			rewriteStmts(s.Else)
		case *ast.NumberForStmt:
			s.Init = rewriteExpr(s.Init)
			s.Limit = rewriteExpr(s.Limit)
			if s.Step != nil {
				s.Step = rewriteExpr(s.Step)
			}
			rewriteStmts(s.Stmts)
		case *ast.GenericForStmt:
			rewriteExprs(s.Exprs)
			rewriteStmts(s.Stmts)
		case *ast.FuncDefStmt:
			if s.Name != nil {
				if s.Name.Func != nil {
					s.Name.Func = rewriteExpr(s.Name.Func)
				}
				if s.Name.Receiver != nil {
					s.Name.Receiver = rewriteExpr(s.Name.Receiver)
				}
			}
			if s.Func != nil {
				rewriteStmts(s.Func.Stmts)
			}
		case *ast.ReturnStmt:
			rewriteExprs(s.Exprs)
		}
	}
}

func rewriteExprs(es []ast.Expr) {
	for i, e := range es {
		es[i] = rewriteExpr(e)
	}
}

func rewriteExpr(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.AttrGetExpr:
		x.Object = rewriteExpr(x.Object)
		x.Key = rewriteExpr(x.Key)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			if f.Key != nil {
				f.Key = rewriteExpr(f.Key)
			}
			f.Value = rewriteExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		if x.Func != nil {
			x.Func = rewriteExpr(x.Func)
		}
		if x.Receiver != nil {
			x.Receiver = rewriteExpr(x.Receiver)
		}
		rewriteExprs(x.Args)
	case *ast.LogicalOpExpr:
		x.Lhs, x.Rhs = rewriteExpr(x.Lhs), rewriteExpr(x.Rhs)
	case *ast.RelationalOpExpr:
		x.Lhs, x.Rhs = rewriteExpr(x.Lhs), rewriteExpr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		x.Lhs, x.Rhs = rewriteExpr(x.Lhs), rewriteExpr(x.Rhs)
	case *ast.UnaryMinusOpExpr:
		x.Expr = rewriteExpr(x.Expr)
	case *ast.UnaryNotOpExpr:
		x.Expr = rewriteExpr(x.Expr)
	case *ast.UnaryLenOpExpr:
		x.Expr = rewriteExpr(x.Expr)
	case *ast.FunctionExpr:
		rewriteStmts(x.Stmts)
	case *ast.StringConcatOpExpr:
		x.Lhs, x.Rhs = concatOperand(rewriteExpr(x.Lhs)), concatOperand(rewriteExpr(x.Rhs))
	}
	return e
}

// concatOperand wraps one operand of '..' in a call of the converter, on the operand's lines.
func concatOperand(e ast.Expr) ast.Expr {
	switch e.(type) {
	case *ast.StringExpr, *ast.StringConcatOpExpr:
		return e // a string already, or a chain whose operands are wrapped
	}
	fn := &ast.IdentExpr{Value: concatArgName}
	fn.SetLine(e.Line())
	fn.SetLastLine(e.LastLine())
	call := &ast.FuncCallExpr{Func: fn, Args: []ast.Expr{e}, AdjustRet: true}
	call.SetLine(e.Line())
	call.SetLastLine(e.LastLine())
	return call
}

// The library functions that turn numbers into strings do so with Go's formatting too:
// string.format's %s and table.concat get Lua 5.1's "%.14g" here.

// wrapFormat makes string.format pass numbers for %s as Lua 5.1 formats them.
func wrapFormat(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		f, ok := L.Get(1).(lua.LString)
		if !ok {
			return orig(L)
		}
		arg := 1
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				continue
			}
			i++
			if i < len(f) && f[i] == '%' {
				continue
			}
			for i < len(f) && (f[i] == '-' || f[i] == '+' || f[i] == ' ' || f[i] == '#' || f[i] == '0' ||
				f[i] == '.' || f[i] >= '1' && f[i] <= '9') {
				i++
			}
			arg++
			if i < len(f) && f[i] == 's' {
				if n, ok := L.Get(arg).(lua.LNumber); ok {
					L.Replace(arg, lua.LString(formatG14(float64(n))))
				}
			}
		}
		return orig(L)
	}
}

// tableConcat is Lua 5.1's table.concat (tconcat).
func tableConcat(L *lua.LState) int {
	tb := L.CheckTable(1)
	sep := ""
	switch v := L.Get(2).(type) {
	case lua.LNumber:
		sep = formatG14(float64(v))
	case *lua.LNilType:
	default:
		sep = L.CheckString(2)
	}
	i := L.OptInt(3, 1)
	last := L.OptInt(4, tb.Len())
	var b []byte
	for ; i <= last; i++ {
		switch v := tb.RawGetInt(i).(type) {
		case lua.LString:
			b = append(b, v...)
		case lua.LNumber:
			b = append(b, formatG14(float64(v))...)
		default:
			L.RaiseError("invalid value (%s) at index %d in table for 'concat'", v.Type().String(), i)
		}
		if i != last {
			b = append(b, sep...)
		}
	}
	L.Push(lua.LString(b))
	return 1
}
