// Package types holds the da module's messages, parameters, state records,
// errors and events. The square rules themselves live in da/square.
package types
