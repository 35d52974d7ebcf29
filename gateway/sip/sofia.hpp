#pragma once
// The one place that includes sofia-sip's C headers for the SIP layer (internal, never included
// from sip_stack.hpp). Magic pointer types are left at sofia's default `void`.
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>
