"""Contains all the data models used in inputs/outputs"""

from .anthropic_effort_type_1 import AnthropicEffortType1
from .anthropic_effort_type_2_type_1 import AnthropicEffortType2Type1
from .anthropic_effort_type_3_type_1 import AnthropicEffortType3Type1
from .anthropic_model_settings import AnthropicModelSettings
from .anthropic_model_settings_provider_type import AnthropicModelSettingsProviderType
from .anthropic_thinking import AnthropicThinking
from .anthropic_thinking_type import AnthropicThinkingType
from .azure_model_settings import AzureModelSettings
from .azure_model_settings_provider_type import AzureModelSettingsProviderType
from .baseten_model_settings import BasetenModelSettings
from .baseten_model_settings_provider_type import BasetenModelSettingsProviderType
from .bedrock_model_settings import BedrockModelSettings
from .bedrock_model_settings_provider_type import BedrockModelSettingsProviderType
from .chat_gpto_auth_model_settings import ChatGPTOAuthModelSettings
from .chat_gpto_auth_model_settings_provider_type import ChatGPTOAuthModelSettingsProviderType
from .chat_gpto_auth_reasoning import ChatGPTOAuthReasoning
from .chat_gpto_auth_reasoning_reasoning_effort import ChatGPTOAuthReasoningReasoningEffort
from .conversation import Conversation
from .conversation_create import ConversationCreate
from .conversation_update import ConversationUpdate
from .deepseek_model_settings import DeepseekModelSettings
from .deepseek_model_settings_provider_type import DeepseekModelSettingsProviderType
from .google_ai_model_settings import GoogleAIModelSettings
from .google_ai_model_settings_provider_type import GoogleAIModelSettingsProviderType
from .google_thinking_config import GoogleThinkingConfig
from .google_vertex_model_settings import GoogleVertexModelSettings
from .google_vertex_model_settings_provider_type import GoogleVertexModelSettingsProviderType
from .groq_model_settings import GroqModelSettings
from .groq_model_settings_provider_type import GroqModelSettingsProviderType
from .health import Health
from .health_status import HealthStatus
from .invalid_param import InvalidParam
from .json_object_response_format import JsonObjectResponseFormat
from .json_object_response_format_type import JsonObjectResponseFormatType
from .json_schema_response_format import JsonSchemaResponseFormat
from .json_schema_response_format_json_schema import JsonSchemaResponseFormatJsonSchema
from .json_schema_response_format_type import JsonSchemaResponseFormatType
from .list_conversations_archive_status import ListConversationsArchiveStatus
from .list_conversations_order import ListConversationsOrder
from .list_conversations_order_by import ListConversationsOrderBy
from .moonshot_coding_model_settings import MoonshotCodingModelSettings
from .moonshot_coding_model_settings_provider_type import MoonshotCodingModelSettingsProviderType
from .moonshot_model_settings import MoonshotModelSettings
from .moonshot_model_settings_provider_type import MoonshotModelSettingsProviderType
from .open_ai_model_settings import OpenAIModelSettings
from .open_ai_model_settings_provider_type import OpenAIModelSettingsProviderType
from .open_ai_reasoning import OpenAIReasoning
from .open_ai_reasoning_reasoning_effort import OpenAIReasoningReasoningEffort
from .open_router_model_settings import OpenRouterModelSettings
from .open_router_model_settings_provider_type import OpenRouterModelSettingsProviderType
from .problem import Problem
from .sg_lang_model_settings import SGLangModelSettings
from .sg_lang_model_settings_provider_type import SGLangModelSettingsProviderType
from .text_response_format import TextResponseFormat
from .text_response_format_type import TextResponseFormatType
from .together_model_settings import TogetherModelSettings
from .together_model_settings_provider_type import TogetherModelSettingsProviderType
from .verbosity_type_1 import VerbosityType1
from .verbosity_type_2_type_1 import VerbosityType2Type1
from .verbosity_type_3_type_1 import VerbosityType3Type1
from .xai_model_settings import XAIModelSettings
from .xai_model_settings_provider_type import XAIModelSettingsProviderType
from .zai_model_settings import ZaiModelSettings
from .zai_model_settings_provider_type import ZaiModelSettingsProviderType
from .zai_thinking import ZaiThinking
from .zai_thinking_type import ZaiThinkingType

__all__ = (
    "AnthropicEffortType1",
    "AnthropicEffortType2Type1",
    "AnthropicEffortType3Type1",
    "AnthropicModelSettings",
    "AnthropicModelSettingsProviderType",
    "AnthropicThinking",
    "AnthropicThinkingType",
    "AzureModelSettings",
    "AzureModelSettingsProviderType",
    "BasetenModelSettings",
    "BasetenModelSettingsProviderType",
    "BedrockModelSettings",
    "BedrockModelSettingsProviderType",
    "ChatGPTOAuthModelSettings",
    "ChatGPTOAuthModelSettingsProviderType",
    "ChatGPTOAuthReasoning",
    "ChatGPTOAuthReasoningReasoningEffort",
    "Conversation",
    "ConversationCreate",
    "ConversationUpdate",
    "DeepseekModelSettings",
    "DeepseekModelSettingsProviderType",
    "GoogleAIModelSettings",
    "GoogleAIModelSettingsProviderType",
    "GoogleThinkingConfig",
    "GoogleVertexModelSettings",
    "GoogleVertexModelSettingsProviderType",
    "GroqModelSettings",
    "GroqModelSettingsProviderType",
    "Health",
    "HealthStatus",
    "InvalidParam",
    "JsonObjectResponseFormat",
    "JsonObjectResponseFormatType",
    "JsonSchemaResponseFormat",
    "JsonSchemaResponseFormatJsonSchema",
    "JsonSchemaResponseFormatType",
    "ListConversationsArchiveStatus",
    "ListConversationsOrder",
    "ListConversationsOrderBy",
    "MoonshotCodingModelSettings",
    "MoonshotCodingModelSettingsProviderType",
    "MoonshotModelSettings",
    "MoonshotModelSettingsProviderType",
    "OpenAIModelSettings",
    "OpenAIModelSettingsProviderType",
    "OpenAIReasoning",
    "OpenAIReasoningReasoningEffort",
    "OpenRouterModelSettings",
    "OpenRouterModelSettingsProviderType",
    "Problem",
    "SGLangModelSettings",
    "SGLangModelSettingsProviderType",
    "TextResponseFormat",
    "TextResponseFormatType",
    "TogetherModelSettings",
    "TogetherModelSettingsProviderType",
    "VerbosityType1",
    "VerbosityType2Type1",
    "VerbosityType3Type1",
    "XAIModelSettings",
    "XAIModelSettingsProviderType",
    "ZaiModelSettings",
    "ZaiModelSettingsProviderType",
    "ZaiThinking",
    "ZaiThinkingType",
)
