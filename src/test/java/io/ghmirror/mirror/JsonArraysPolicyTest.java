package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonArraysPolicyTest {

    @ParameterizedTest(name = "{0} has {1} items")
    @CsvSource(delimiter = '|', textBlock = """
            []                                   | 0
            '   [   ]'                           | 0
            [1]                                  | 1
            [1,2,3]                              | 3
            [null,true,false]                    | 3
            '[ {"a":1} , {"b":[1,2,3]} ]'        | 2
            [[1,2],[3],[]]                       | 3
            '["a,b","c"]'                        | 2
            '["a\\",b","c"]'                     | 2
            '["back\\\\","slash"]'               | 2
            '["[{", "}]"]'                       | 2
            '[{"title":"x"}] trailing'           | 1
            """)
    void countsTopLevelItems(String json, int expected) {
        assertThat(JsonArrays.countTopLevelItems(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} is not an array")
    @CsvSource(delimiter = '|', textBlock = """
            '{"items":[1,2]}'
            42
            '"[1,2]"'
            [1,2
            '["unterminated]'
            ''
            """)
    void rejectsNonArrays(String json) {
        assertThat(JsonArrays.countTopLevelItems(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
    }
}
